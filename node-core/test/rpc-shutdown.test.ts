import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { WS_CLOSE_GRACE_MS } from '../src/rpc/server.ts';
import { startTempNode } from './support/temp-node.ts';

test('a WebSocket client that never answers the close frame does not hold up shutdown', { timeout: 20_000 }, async () => {
  const temp = await startTempNode();
  const socket = connect(temp.server.port, '127.0.0.1');
  try {
    socket.write(
      'GET /rpc HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ingot-rpc, ingot-token.${temp.server.token}\r\n\r\n`,
    );
    const answer = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
    assert.match(answer.toString(), /^HTTP\/1.1 101/);
    socket.pause();
    const started = performance.now();
    await temp.close();
    // ws would otherwise wait 30 s for the closing handshake.
    assert.ok(performance.now() - started < WS_CLOSE_GRACE_MS * 10, 'the silent client was cut off after the grace period');
  } finally {
    socket.destroy();
  }
});
