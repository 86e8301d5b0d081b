import { readFile, realpath } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';

/**
 * Serves the renderer build for the web mode. The page itself holds no secret (the API token
 * arrives in the URL fragment, which browsers never send), so files are served without it.
 */

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Nothing but this origin: the page, its files and the node's own WebSocket on the same port. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

export interface StaticFiles {
  serve(request: IncomingMessage, response: ServerResponse): Promise<void>;
}

function reply(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export async function staticFiles(rootDir: string): Promise<StaticFiles> {
  const root = await realpath(rootDir);
  return {
    async serve(request, response) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return reply(response, 405, 'use GET');
      let pathname: string;
      try {
        pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
      } catch {
        return reply(response, 400, 'bad path');
      }
      const relative = pathname === '/' ? 'index.html' : pathname.slice(1);
      let file: string;
      try {
        file = await realpath(join(root, relative));
      } catch {
        return reply(response, 404, 'not found');
      }
      // realpath resolves `..` and links, so anything outside the build directory is refused here.
      if (!file.startsWith(root + sep)) return reply(response, 404, 'not found');
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch {
        return reply(response, 404, 'not found');
      }
      response.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': body.length,
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-cache',
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    },
  };
}
