import { readFile } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY, CONTENT_TYPES } from '../../node-core/src/rpc/static-files.ts';
import type { CustomScheme } from './electron-api.ts';

/**
 * The window loads the renderer build from a private scheme, not from file://. A protocol handler
 * answers with real response headers, so the Content-Security-Policy arrives on the document the
 * same way it does in web mode (webRequest hooks are not reliably called for file:// loads), and
 * the page gets an origin of its own: under file:// every local file would count as 'self'.
 */
export const RENDERER_SCHEME = 'ingot';
const RENDERER_HOST = 'app';
export const RENDERER_URL = `${RENDERER_SCHEME}://${RENDERER_HOST}/index.html`;

/** Must be registered before the app is ready. Standard + secure: a real origin, treated like https. */
export const RENDERER_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: RENDERER_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: false },
};

/**
 * The desktop page talks to the node over the preload's MessagePort only, so its policy is the web
 * mode's with every network connection refused, whatever sources the web mode allows.
 */
export function withoutConnections(policy: string): string {
  const directives = policy.split(';').map((directive) => directive.trim()).filter((directive) => directive !== '');
  const others = directives.filter((directive) => !/^connect-src(\s|$)/i.test(directive));
  const at = directives.findIndex((directive) => /^connect-src(\s|$)/i.test(directive));
  others.splice(at === -1 ? others.length : at, 0, "connect-src 'none'");
  return others.join('; ');
}

export const DESKTOP_CONTENT_SECURITY_POLICY = withoutConnections(CONTENT_SECURITY_POLICY);

function notFound(): Response {
  return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

/** Serves files of the renderer build directory, and nothing outside it. */
export function rendererFiles(rootDir: string): (request: Request) => Promise<Response> {
  const root = resolve(rootDir);
  return async (request) => {
    if (request.method !== 'GET') return new Response('use GET', { status: 405 });
    const url = new URL(request.url);
    if (url.host !== RENDERER_HOST) return notFound();
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return notFound();
    }
    const file = resolve(root, `.${pathname === '/' ? '/index.html' : pathname}`);
    if (!file.startsWith(root + sep)) return notFound();
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return notFound();
    }
    return new Response(new Uint8Array(body), {
      status: 200,
      headers: {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'content-security-policy': DESKTOP_CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      },
    });
  };
}
