import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import WebSocket, { type ClientOptions } from 'ws';
import type { Results } from '../src/api/methods.ts';
import { encode } from '../src/codec/cbor.ts';
import { limits } from '../src/codec/limits.ts';
import type { TxBody } from '../src/codec/messages.ts';
import { signingKeyFromSeed, type SigningKey } from '../src/crypto/ed25519.ts';
import { signTransaction, txId } from '../src/ledger/transaction.ts';
import { systemClock, type Clock } from '../src/node/clock.ts';
import { dataPaths } from '../src/node/data-dir.ts';
import { readKeyStore } from '../src/node/keystore.ts';
import { COMMIT_WAIT_MS } from '../src/node/node.ts';
import { BATCH_CALLS_MAX } from '../src/rpc/dispatch.ts';
import { REQUEST_BYTES_MAX } from '../src/rpc/server.ts';
import { startTempNode, TEST_PASSPHRASE, type TempNode } from './support/temp-node.ts';

/**
 * Bad input over the RPC API: every refusal carries its documented code, the node keeps answering,
 * nothing committed changes, and a good transaction still commits afterwards.
 */

interface RpcErrorReply {
  code: number;
  message: string;
  data: { code: string; field?: string };
}
interface RpcReply {
  jsonrpc?: string;
  id?: unknown;
  result?: unknown;
  error?: RpcErrorReply;
}
type Status = Results['node.status'];

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function resultOf<T>(reply: RpcReply): T {
  assert.equal(reply.error, undefined, `unexpected error ${JSON.stringify(reply.error)}`);
  return reply.result as T;
}

function assertError(reply: unknown, code: number, dataCode: string, field?: string): RpcErrorReply {
  const { error, result } = reply as RpcReply;
  assert.equal(result, undefined, `expected an error, got the result ${JSON.stringify(result)}`);
  assert.ok(error !== undefined, `expected error ${dataCode}, got ${JSON.stringify(reply)}`);
  assert.equal(error.data.code, dataCode, error.message);
  assert.equal(error.code, code, `${dataCode} has number ${error.code}`);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0, 'the error explains itself');
  if (field !== undefined) assert.equal(error.data.field, field, error.message);
  return error;
}

const E = { PARSE: -32700, REQUEST: -32600, METHOD: -32601, PARAMS: -32602, APP: -32000 } as const;

/** POSTs raw bytes to the node, by default to /rpc with its token. */
async function post(
  temp: TempNode,
  body: string | Uint8Array,
  options: { authorization?: string | null; method?: string; path?: string } = {},
): Promise<{ status: number; text: string; json: unknown }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const authorization = options.authorization === undefined ? `Bearer ${temp.server.token}` : options.authorization;
  if (authorization !== null) headers.authorization = authorization;
  const method = options.method ?? 'POST';
  const response = await fetch(`http://127.0.0.1:${temp.server.port}${options.path ?? '/rpc'}`, {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' ? {} : { body }),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

const call = (method: string, params: unknown, id: unknown = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, params });

interface Snapshot {
  height: number;
  txCount: number;
  lastBlockHash: string;
  mempool: { size: number; bytes: number };
  org: unknown;
}

async function snapshot(temp: TempNode): Promise<Snapshot> {
  const status = resultOf<Status>(await temp.rpc('node.status'));
  const org = resultOf(await temp.rpc('org.get', { id: temp.init.orgId }));
  return { height: status.height, txCount: status.txCount, lastBlockHash: status.lastBlockHash, mempool: status.mempool, org };
}

let goodCount = 0;
/** A profile update through the node's own key commits in the next block. */
async function assertGoodTxCommits(temp: TempNode): Promise<void> {
  const before = await snapshot(temp);
  const contact = `good-${++goodCount}@example.test`;
  const submitted = resultOf<Results['tx.submit']>(
    await temp.rpc('tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact }, waitForCommit: true }),
  );
  assert.equal(submitted.receipt?.ok, true);
  assert.equal(submitted.height, before.height + 1);
  const now = await snapshot(temp);
  assert.equal(now.txCount, before.txCount + 1);
  assert.equal((now.org as { contact: string }).contact, contact);
}

/** Runs a bad call, then checks that the node still answers, nothing changed, and it still commits. */
async function withoutHarm(temp: TempNode, attempt: () => Promise<void>): Promise<void> {
  const before = await snapshot(temp);
  await attempt();
  assert.deepEqual(await snapshot(temp), before, 'a refused call changed the node');
  await assertGoodTxCommits(temp);
}

async function orgSigningKey(temp: TempNode): Promise<SigningKey> {
  const secrets = await readKeyStore(dataPaths(temp.dataDir).keyStore, TEST_PASSPHRASE);
  return signingKeyFromSeed(secrets.signingSeeds[0] as Uint8Array);
}

async function headHeight(temp: TempNode): Promise<number> {
  return resultOf<Status>(await temp.rpc('node.status')).height;
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('JSON-RPC framing over HTTP', () => {
  let temp: TempNode;
  before(async () => {
    temp = await startTempNode();
  });
  after(() => temp.close());

  test('malformed JSON is PARSE_ERROR (-32700) with a null id', () =>
    withoutHarm(temp, async () => {
      for (const body of ['{"jsonrpc": "2.0", "id": 1, "method": ', '', 'not json', '{"a":1}}']) {
        const { status, json } = await post(temp, body);
        assert.equal(status, 200);
        assertError(json, E.PARSE, 'PARSE_ERROR');
        assert.equal((json as RpcReply).id, null);
        assert.equal((json as RpcReply).jsonrpc, '2.0');
      }
    }));

  test('a request that is not an object, or lacks "jsonrpc": "2.0", is INVALID_REQUEST (-32600)', () =>
    withoutHarm(temp, async () => {
      for (const body of ['1', '"node.status"', 'null', 'true']) {
        const { json } = await post(temp, body);
        assertError(json, E.REQUEST, 'INVALID_REQUEST');
        assert.equal((json as RpcReply).id, null);
      }
      const missing = await post(temp, JSON.stringify({ id: 7, method: 'node.status', params: {} }));
      assertError(missing.json, E.REQUEST, 'INVALID_REQUEST');
      assert.equal((missing.json as RpcReply).id, 7, 'the id of a readable request is echoed');
      const wrongVersion = await post(temp, JSON.stringify({ jsonrpc: '1.0', id: 'a', method: 'node.status' }));
      assertError(wrongVersion.json, E.REQUEST, 'INVALID_REQUEST');
      assert.equal((wrongVersion.json as RpcReply).id, 'a');
      assertError((await post(temp, JSON.stringify({ jsonrpc: '2.0', id: 8, method: 42 }))).json, E.REQUEST, 'INVALID_REQUEST');
      assertError((await post(temp, JSON.stringify({ jsonrpc: '2.0', id: 9 }))).json, E.REQUEST, 'INVALID_REQUEST');
      for (const id of [1.5, { x: 1 }, [1], true]) {
        const { json } = await post(temp, JSON.stringify({ jsonrpc: '2.0', id, method: 'node.status' }));
        assertError(json, E.REQUEST, 'INVALID_REQUEST');
        assert.equal((json as RpcReply).id, null);
      }
      // A state-changing call without "jsonrpc" is refused before it runs.
      const { json } = await post(temp, JSON.stringify({ id: 10, method: 'tx.submit', params: { contract: 'identity', method: 'updateProfile', payload: { contact: 'sneaky' } } }));
      assertError(json, E.REQUEST, 'INVALID_REQUEST');
    }));

  test('an unknown method is METHOD_NOT_FOUND (-32601), including names inherited by every object', () =>
    withoutHarm(temp, async () => {
      for (const method of ['no.such', 'node.Status', '', 'toString', '__proto__', 'constructor', 'hasOwnProperty']) {
        const { status, json } = await post(temp, call(method, {}, 3));
        assert.equal(status, 200);
        assertError(json, E.METHOD, 'METHOD_NOT_FOUND');
        assert.equal((json as RpcReply).id, 3);
      }
    }));

  const invalidParams: [method: string, params: unknown, field: string][] = [
    ['block.get', { height: '1' }, 'height'],
    ['block.get', { height: -1 }, 'height'],
    ['block.get', { height: 1.5 }, 'height'],
    ['block.get', {}, 'height'],
    ['block.get', { height: 1, extra: 2 }, 'extra'],
    ['block.get', { height: 1, hash: 'ab'.repeat(32) }, 'height'],
    ['block.get', { hash: 'xyz' }, 'hash'],
    ['node.status', { verbose: true }, 'verbose'],
    ['tx.get', { hash: 'abc' }, 'hash'],
    ['tx.get', { hash: 'AB'.repeat(32) }, 'hash'],
    ['org.get', { id: 42 }, 'id'],
    ['state.history', { subject: 'x', limit: 0 }, 'limit'],
    ['state.history', { subject: 'x', limit: 1001 }, 'limit'],
    ['state.history', { subject: 'has space' }, 'subject'],
    ['state.history', { subject: 'x', after: { height: 1, index: 'a' } }, 'after.index'],
    ['tx.bySigner', { signer: 'ab'.repeat(32), after: { height: -1, index: 0 } }, 'after.height'],
    ['tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact: 'x' }, waitForCommit: 'yes' }, 'waitForCommit'],
    ['tx.submit', { contract: 'Identity!', method: 'updateProfile', payload: { contact: 'x' } }, 'contract'],
    ['tx.submit', { contract: 'identity', method: 7, payload: { contact: 'x' } }, 'method'],
    ['tx.submit', { contract: 'identity', method: 'updateProfile' }, 'payload'],
    ['tx.submit', { contract: 'identity', method: 'updateProfile', payload: ['x'] }, 'payload'],
    ['tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact: 'x' }, priority: 1 }, 'priority'],
    ['tx.submitSigned', { tx: 'xyz' }, 'tx'],
    ['tx.submitSigned', { tx: 'ABCD' }, 'tx'],
    ['tx.submitSigned', { tx: '' }, 'tx'],
    ['tx.submitSigned', { tx: 'abcd', chain: 'x' }, 'chain'],
  ];
  for (const [method, params, field] of invalidParams) {
    test(`${method} ${JSON.stringify(params)} is INVALID_PARAMS naming "${field}"`, () =>
      withoutHarm(temp, async () => {
        const { json } = await post(temp, call(method, params, 'p'));
        const error = assertError(json, E.PARAMS, 'INVALID_PARAMS', field);
        assert.match(error.message, new RegExp(`^params\\.${field.replace('.', '\\.')}: `));
        assert.equal((json as RpcReply).id, 'p');
      }));
  }

  test('params that are not an object are INVALID_PARAMS', () =>
    withoutHarm(temp, async () => {
      for (const params of [[1], 'x', 5]) assertError((await post(temp, call('node.status', params))).json, E.PARAMS, 'INVALID_PARAMS');
    }));

  test('a fraction, an unsafe integer or an infinity anywhere in a payload is INVALID_PARAMS naming where', () =>
    withoutHarm(temp, async () => {
      const submit = (payload: string) =>
        post(temp, `{"jsonrpc":"2.0","id":1,"method":"tx.submit","params":{"contract":"identity","method":"updateProfile","payload":${payload}}}`);
      assertError((await submit('{"contact":"x","n":1.5}')).json, E.PARAMS, 'INVALID_PARAMS', 'payload.n');
      assertError((await submit('{"contact":"x","a":{"b":[1,0.25]}}')).json, E.PARAMS, 'INVALID_PARAMS', 'payload.a');
      assertError((await submit('{"contact":"x","n":9007199254740992}')).json, E.PARAMS, 'INVALID_PARAMS', 'payload.n');
      assertError((await submit('{"contact":"x","n":1e400}')).json, E.PARAMS, 'INVALID_PARAMS', 'payload.n');
    }));

  test('a "__proto__" key in a payload is INVALID_PARAMS', () =>
    withoutHarm(temp, async () => {
      const body = '{"jsonrpc":"2.0","id":1,"method":"tx.submit","params":{"contract":"identity","method":"updateProfile","payload":{"contact":"x","__proto__":{"name":"Evil"}}}}';
      assertError((await post(temp, body)).json, E.PARAMS, 'INVALID_PARAMS', 'payload');
      const nested = '{"jsonrpc":"2.0","id":1,"method":"tx.submit","params":{"contract":"identity","method":"updateProfile","payload":{"contact":"x","a":[{"__proto__":1}]}}}';
      assertError((await post(temp, nested)).json, E.PARAMS, 'INVALID_PARAMS', 'payload');
    }));

  test('a payload nested deeper than 16 levels is INVALID_PARAMS; 16 levels reach the contract', () =>
    withoutHarm(temp, async () => {
      const nested = (levels: number) => {
        let value: unknown = 'leaf';
        for (let i = 0; i < levels; i++) value = { d: value };
        return value;
      };
      const tooDeep = await post(temp, call('tx.submit', { contract: 'identity', method: 'updateProfile', payload: nested(17) }));
      const error = assertError(tooDeep.json, E.PARAMS, 'INVALID_PARAMS', 'payload');
      assert.match(error.message, /deeper than 16/);
      // Sixteen levels pass the API's check; the identity contract then refuses the unknown key.
      const deepEnough = await post(temp, call('tx.submit', { contract: 'identity', method: 'updateProfile', payload: nested(16) }));
      assertError(deepEnough.json, E.APP, 'PAYLOAD_INVALID');
    }));

  test('JSON nested a hundred thousand levels deep is refused without harm', () =>
    withoutHarm(temp, async () => {
      const depth = 100_000;
      const body = `{"jsonrpc":"2.0","id":1,"method":"tx.submit","params":{"contract":"identity","method":"updateProfile","payload":{"d":${'['.repeat(depth)}${']'.repeat(depth)}}}}`;
      const { status, json } = await post(temp, body);
      assert.equal(status, 200);
      const { error } = json as RpcReply;
      assert.ok(error !== undefined && [E.PARSE, E.PARAMS].includes(error.code as -32700 | -32602), JSON.stringify(error));
    }));

  test('an empty batch is INVALID_REQUEST and a batch over 64 calls is BATCH_TOO_LARGE; none of its calls run', () =>
    withoutHarm(temp, async () => {
      const empty = await post(temp, '[]');
      assertError(empty.json, E.REQUEST, 'INVALID_REQUEST');
      assert.equal((empty.json as RpcReply).id, null);
      const submits = Array.from({ length: BATCH_CALLS_MAX + 1 }, (_, i) => ({
        jsonrpc: '2.0', id: i, method: 'tx.submit', params: { contract: 'identity', method: 'updateProfile', payload: { contact: `batch-${i}` } },
      }));
      const tooLarge = await post(temp, JSON.stringify(submits));
      assert.ok(!Array.isArray(tooLarge.json), 'a refused batch gets one error, not one per call');
      assertError(tooLarge.json, E.REQUEST, 'BATCH_TOO_LARGE');
      // withoutHarm checks that the mempool is still empty: not one of the 65 submits was admitted.
    }));

  test(`a batch of exactly ${BATCH_CALLS_MAX} calls answers every call by id`, () =>
    withoutHarm(temp, async () => {
      const calls = Array.from({ length: BATCH_CALLS_MAX }, (_, i) => ({ jsonrpc: '2.0', id: `c${i}`, method: 'node.status', params: {} }));
      const { status, json } = await post(temp, JSON.stringify(calls));
      assert.equal(status, 200);
      assert.ok(Array.isArray(json));
      assert.equal(json.length, BATCH_CALLS_MAX);
      assert.deepEqual(new Set((json as RpcReply[]).map((r) => r.id)), new Set(calls.map((c) => c.id)));
      for (const reply of json as RpcReply[]) assert.equal(typeof resultOf<Status>(reply).height, 'number');
    }));

  test('a mixed batch answers each call on its own and leaves out notifications', () =>
    withoutHarm(temp, async () => {
      const batch = [
        { jsonrpc: '2.0', id: 1, method: 'node.status', params: {} },
        { jsonrpc: '2.0', id: 2, method: 'no.such', params: {} },
        { jsonrpc: '2.0', id: 3, method: 'org.get', params: { id: 'nope' } },
        { jsonrpc: '2.0', method: 'node.status', params: {} },
        1,
        [],
        { jsonrpc: '2.0', id: 4, method: 'org.get', params: { id: '0'.repeat(40) } },
      ];
      const { json } = await post(temp, JSON.stringify(batch));
      assert.ok(Array.isArray(json));
      const replies = json as RpcReply[];
      assert.equal(replies.length, 6, 'one reply per call except the notification');
      const byId = (id: unknown) => replies.filter((r) => r.id === id);
      assert.equal(resultOf<Status>(byId(1)[0] as RpcReply).txCount >= 0, true);
      assertError(byId(2)[0], E.METHOD, 'METHOD_NOT_FOUND');
      assertError(byId(3)[0], E.PARAMS, 'INVALID_PARAMS', 'id');
      assertError(byId(4)[0], E.APP, 'ORG_NOT_FOUND');
      const anonymous = byId(null);
      assert.equal(anonymous.length, 2);
      for (const reply of anonymous) assertError(reply, E.REQUEST, 'INVALID_REQUEST');
    }));

  test('a batch of notifications only gets an empty 204 answer', () =>
    withoutHarm(temp, async () => {
      const { status, text } = await post(temp, JSON.stringify([{ jsonrpc: '2.0', method: 'node.status', params: {} }, { jsonrpc: '2.0', method: 'no.such' }]));
      assert.equal(status, 204);
      assert.equal(text, '');
      const single = await post(temp, JSON.stringify({ jsonrpc: '2.0', method: 'node.status' }));
      assert.equal(single.status, 204);
    }));

  test('a valid batch of transactions commits all of them', async () => {
    const before = await snapshot(temp);
    const contacts = ['b1@example.test', 'b2@example.test', 'b3@example.test'];
    const batch = contacts.map((contact, i) => ({
      jsonrpc: '2.0', id: i, method: 'tx.submit', params: { contract: 'identity', method: 'updateProfile', payload: { contact }, waitForCommit: true },
    }));
    const { json } = await post(temp, JSON.stringify(batch));
    const replies = json as RpcReply[];
    assert.equal(replies.length, 3);
    for (const reply of replies) assert.equal(resultOf<Results['tx.submit']>(reply).receipt?.ok, true);
    const now = await snapshot(temp);
    assert.equal(now.txCount, before.txCount + 3);
    const history = resultOf<Results['state.history']>(await temp.rpc('state.history', { subject: temp.init.orgId, limit: 1000 }));
    const hashes = new Set(history.entries.map((e) => e.hash));
    for (const reply of replies) assert.ok(hashes.has(resultOf<Results['tx.submit']>(reply).hash));
  });

  test(`a body over ${REQUEST_BYTES_MAX} bytes is HTTP 413 REQUEST_TOO_LARGE, and the client receives that answer`, () =>
    withoutHarm(temp, async () => {
      // node:http writes the whole body: the server must read past the limit rather than reset the connection.
      for (const size of [REQUEST_BYTES_MAX + 1, 3 * REQUEST_BYTES_MAX]) {
        for (let attempt = 0; attempt < 3; attempt++) {
          const body = Buffer.alloc(size, 0x20);
          const reply = await new Promise<{ status: number | undefined; text: string }>((resolve, reject) => {
            const req = request(temp.url, { method: 'POST', headers: { authorization: `Bearer ${temp.server.token}`, 'content-length': body.length } }, (res) => {
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => (text += chunk));
              res.on('end', () => resolve({ status: res.statusCode, text }));
            });
            req.on('error', reject);
            req.end(body);
          });
          assert.equal(reply.status, 413);
          assertError(JSON.parse(reply.text), E.REQUEST, 'REQUEST_TOO_LARGE');
        }
      }
      // The same through fetch, with a request that would otherwise have been a valid submission.
      const padded = call('tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact: 'big' } }).padEnd(REQUEST_BYTES_MAX + 1, ' ');
      const { status, json } = await post(temp, padded);
      assert.equal(status, 413);
      assertError(json, E.REQUEST, 'REQUEST_TOO_LARGE');
    }));

  test(`a body of exactly ${REQUEST_BYTES_MAX} bytes is still served`, () =>
    withoutHarm(temp, async () => {
      const body = call('node.status', {}).padEnd(REQUEST_BYTES_MAX, ' ');
      assert.equal(Buffer.byteLength(body), REQUEST_BYTES_MAX);
      const { status, json } = await post(temp, body);
      assert.equal(status, 200);
      resultOf<Status>(json as RpcReply);
    }));

  test('a client that hangs up in the middle of its body does no harm', () =>
    withoutHarm(temp, async () => {
      await new Promise<void>((resolve) => {
        const req = request(temp.url, { method: 'POST', headers: { authorization: `Bearer ${temp.server.token}`, 'content-length': 10_000 } });
        req.on('error', () => resolve());
        req.write('{"jsonrpc":"2.0","id":1,"method":"tx.submit","params":', () => setTimeout(() => {
          req.destroy();
          resolve();
        }, 20));
      });
    }));

  test('a missing or wrong bearer token is HTTP 401 UNAUTHORIZED and the call does not run', () =>
    withoutHarm(temp, async () => {
      const submit = call('tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact: 'intruder' }, waitForCommit: true });
      const token = temp.server.token;
      const wrongSameLength = token.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      for (const authorization of [null, '', 'Bearer', 'Bearer ', `Bearer ${wrongSameLength}`, `Bearer ${token}0`, `Bearer ${token.slice(1)}`, `Basic ${token}`, token, `Bearer  ${token}`]) {
        const { status, json } = await post(temp, submit, { authorization });
        assert.equal(status, 401, `authorization ${JSON.stringify(authorization)}`);
        assertError(json, E.REQUEST, 'UNAUTHORIZED');
      }
      assert.equal((await post(temp, submit, { authorization: null, method: 'GET' })).status, 401);
    }));

  test('GET or PUT on /rpc is HTTP 405', () =>
    withoutHarm(temp, async () => {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const { status, json } = await post(temp, call('node.status', {}), { method });
        assert.equal(status, 405, method);
        assertError(json, E.REQUEST, 'METHOD_NOT_ALLOWED');
      }
    }));

  test('any other path is HTTP 404, with or without the token', () =>
    withoutHarm(temp, async () => {
      for (const path of ['/', '/rpc/', '/RPC', '/api', '/rpc/../x']) {
        for (const authorization of [undefined, null]) {
          const { status, json } = await post(temp, call('node.status', {}), { path, ...(authorization === null ? { authorization } : {}) });
          assert.equal(status, 404, path);
          assertError(json, E.REQUEST, 'NOT_FOUND');
        }
      }
    }));
});

describe('signed transactions that the node must refuse', () => {
  let temp: TempNode;
  let orgKey: SigningKey;
  before(async () => {
    temp = await startTempNode();
    orgKey = await orgSigningKey(temp);
  });
  after(() => temp.close());

  async function body(overrides: Partial<TxBody> = {}): Promise<TxBody> {
    return {
      v: 1,
      chain: temp.node.ledger.chainId,
      contract: 'identity',
      method: 'updateProfile',
      payload: { contact: 'signed-elsewhere@example.test' },
      signer: orgKey.publicKey,
      nonce: new Uint8Array(randomBytes(16)),
      expires: (await headHeight(temp)) + 10,
      ...overrides,
    };
  }
  const submitSigned = (bytes: Uint8Array, waitForCommit = false) => temp.rpc('tx.submitSigned', { tx: hex(bytes), waitForCommit }) as Promise<RpcReply>;

  test('a transaction signed with the organisation key commits (the control case)', async () => {
    const tx = signTransaction(await body(), orgKey);
    const submitted = resultOf<Results['tx.submitSigned']>(await submitSigned(tx.bytes, true));
    assert.equal(submitted.hash, tx.idHex);
    assert.equal(submitted.receipt?.ok, true);
    const stored = resultOf<Results['tx.get']>(await temp.rpc('tx.get', { hash: tx.idHex }));
    assert.equal(stored.tx.signer, hex(orgKey.publicKey));
    assert.equal(stored.tx.raw, hex(tx.bytes));
  });

  test('an oversized transaction is TX_TOO_LARGE', () =>
    withoutHarm(temp, async () => {
      const big = await body({ payload: { contact: 'x'.repeat(limits.txBytesMax + 1000) } });
      assert.throws(() => signTransaction(big, orgKey), { code: 'TX_TOO_LARGE' });
      const bodyBytes = encode(big);
      const bytes = encode({ body: bodyBytes, sig: orgKey.sign(txId(bodyBytes)) });
      assertError(await submitSigned(bytes), E.APP, 'TX_TOO_LARGE');
      // A body of exactly the limit passes the size checks and reaches the contract, which refuses so long a contact.
      const probe = await body({ payload: { contact: 'x'.repeat(limits.txBytesMax - 500) } });
      const atLimit = { ...probe, payload: { contact: 'x'.repeat(limits.txBytesMax - 500 + limits.txBytesMax - encode(probe).length) } };
      const tx = signTransaction(atLimit, orgKey);
      assert.equal(tx.bodyBytes.length, limits.txBytesMax);
      assertError(await submitSigned(tx.bytes), E.APP, 'PAYLOAD_INVALID', 'contact');
    }));

  test('bytes that are not a transaction are TX_MALFORMED', () =>
    withoutHarm(temp, async () => {
      const goodBody = encode(await body());
      const candidates = [
        new Uint8Array(randomBytes(200)),
        Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
        encode({ body: goodBody }),
        encode({ body: goodBody, sig: new Uint8Array(63) }),
        encode({ body: encode({ v: 2 }), sig: new Uint8Array(64) }),
        encode({ body: goodBody, sig: new Uint8Array(64), extra: 1 }),
        encode([goodBody, new Uint8Array(64)]),
        // A canonical envelope whose body has its keys out of canonical order.
        encode({ body: Uint8Array.of(0xa2, 0x61, 0x62, 0x01, 0x61, 0x61, 0x02), sig: new Uint8Array(64) }),
      ];
      // A "__proto__" map key cannot be decoded back as a property, so the body is not canonical.
      const protoBody = encode({ ...(await body()), payload: { contact: 'x', ['__proto__']: 'y' } });
      candidates.push(encode({ body: protoBody, sig: orgKey.sign(txId(protoBody)) }));
      for (const bytes of candidates) assertError(await submitSigned(bytes), E.APP, 'TX_MALFORMED');
    }));

  test('a transaction for another consortium is TX_WRONG_CHAIN', () =>
    withoutHarm(temp, async () => {
      const tx = signTransaction(await body({ chain: new Uint8Array(randomBytes(32)) }), orgKey);
      assertError(await submitSigned(tx.bytes), E.APP, 'TX_WRONG_CHAIN');
    }));

  test('a flipped signature byte, or a signature by another key, is TX_BAD_SIGNATURE', async () => {
    const tx = signTransaction(await body(), orgKey);
    await withoutHarm(temp, async () => {
      for (const position of [0, 31, 63]) {
        const sig = new Uint8Array(tx.sig);
        sig[position] = (sig[position] as number) ^ 0x01;
        assertError(await submitSigned(encode({ body: tx.bodyBytes, sig })), E.APP, 'TX_BAD_SIGNATURE');
      }
      const impostor = signingKeyFromSeed(new Uint8Array(randomBytes(32)));
      const forged = signTransaction(await body(), impostor);
      assert.deepEqual(forged.body.signer, orgKey.publicKey, 'the forgery claims the organisation as signer');
      assertError(await submitSigned(forged.bytes), E.APP, 'TX_BAD_SIGNATURE');
    });
    // The untouched transaction was never admitted, so it still commits.
    assert.equal(resultOf<Results['tx.submitSigned']>(await submitSigned(tx.bytes, true)).receipt?.ok, true);
  });

  test('a committed transaction submitted again is TX_ALREADY_COMMITTED', async () => {
    const tx = signTransaction(await body({ payload: { contact: 'once@example.test' } }), orgKey);
    resultOf(await submitSigned(tx.bytes, true));
    await withoutHarm(temp, async () => {
      assertError(await submitSigned(tx.bytes), E.APP, 'TX_ALREADY_COMMITTED');
      assertError(await submitSigned(tx.bytes, true), E.APP, 'TX_ALREADY_COMMITTED');
    });
  });

  test('a transaction that expires below the next height is TX_EXPIRED; one expiring at it is accepted', async () => {
    await withoutHarm(temp, async () => {
      const head = await headHeight(temp);
      for (const expires of [0, head - 1, head]) {
        if (expires < 0) continue;
        assertError(await submitSigned(signTransaction(await body({ expires }), orgKey).bytes), E.APP, 'TX_EXPIRED');
      }
    });
    const head = await headHeight(temp);
    const lastChance = signTransaction(await body({ expires: head + 1 }), orgKey);
    const committed = resultOf<Results['tx.submitSigned']>(await submitSigned(lastChance.bytes, true));
    assert.equal(committed.height, head + 1);
  });

  test(`an expiry more than ${limits.txTtlBlocksMax} blocks ahead is TX_EXPIRY_TOO_FAR; exactly that far is accepted`, async () => {
    await withoutHarm(temp, async () => {
      const next = (await headHeight(temp)) + 1;
      for (const expires of [next + limits.txTtlBlocksMax + 1, Number.MAX_SAFE_INTEGER]) {
        assertError(await submitSigned(signTransaction(await body({ expires }), orgKey).bytes), E.APP, 'TX_EXPIRY_TOO_FAR');
      }
    });
    const next = (await headHeight(temp)) + 1;
    const farthest = signTransaction(await body({ expires: next + limits.txTtlBlocksMax }), orgKey);
    assert.equal(resultOf<Results['tx.submitSigned']>(await submitSigned(farthest.bytes, true)).receipt?.ok, true);
  });

  test('a correctly signed transaction from a key that belongs to no member is SIGNER_NOT_MEMBER', () =>
    withoutHarm(temp, async () => {
      const stranger = signingKeyFromSeed(new Uint8Array(randomBytes(32)));
      const tx = signTransaction(await body({ signer: stranger.publicKey }), stranger);
      assertError(await submitSigned(tx.bytes), E.APP, 'SIGNER_NOT_MEMBER');
    }));

  test('an unknown contract is CONTRACT_NOT_FOUND and an unknown method METHOD_NOT_FOUND, signed or submitted', () =>
    withoutHarm(temp, async () => {
      assertError(await submitSigned(signTransaction(await body({ contract: 'nope' }), orgKey).bytes), E.APP, 'CONTRACT_NOT_FOUND');
      // Application errors keep -32000; -32601 is only for RPC methods.
      assertError(await submitSigned(signTransaction(await body({ method: 'nope' }), orgKey).bytes), E.APP, 'METHOD_NOT_FOUND');
      assertError(await submitSigned(signTransaction(await body({ method: 'toString' }), orgKey).bytes), E.APP, 'METHOD_NOT_FOUND');
      assertError(await temp.rpc('tx.submit', { contract: 'nope', method: 'updateProfile', payload: { contact: 'x' } }), E.APP, 'CONTRACT_NOT_FOUND');
      assertError(await temp.rpc('tx.submit', { contract: 'identity', method: 'nope', payload: { contact: 'x' } }), E.APP, 'METHOD_NOT_FOUND');
      assertError(await temp.rpc('tx.submit', { contract: 'identity', method: 'constructor', payload: { contact: 'x' } }), E.APP, 'METHOD_NOT_FOUND');
      // membership holds the organisations but has no callable method yet.
      assertError(await temp.rpc('tx.submit', { contract: 'membership', method: 'invite', payload: {} }), E.APP, 'METHOD_NOT_FOUND');
    }));

  test('a payload the method does not accept is PAYLOAD_INVALID, naming the field', () =>
    withoutHarm(temp, async () => {
      assertError(await submitSigned(signTransaction(await body({ payload: { contact: 5 } }), orgKey).bytes), E.APP, 'PAYLOAD_INVALID', 'contact');
      assertError(await submitSigned(signTransaction(await body({ payload: { contact: new Uint8Array(4) } }), orgKey).bytes), E.APP, 'PAYLOAD_INVALID', 'contact');
      assertError(await submitSigned(signTransaction(await body({ payload: {} }), orgKey).bytes), E.APP, 'PAYLOAD_INVALID');
      assertError(await temp.rpc('tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact: 'x', role: 'admin' } }), E.APP, 'PAYLOAD_INVALID');
      assertError(await temp.rpc('tx.submit', { contract: 'identity', method: 'updateProfile', payload: { name: '   ' } }), E.APP, 'PAYLOAD_INVALID', 'name');
      assertError(await temp.rpc('tx.submit', { contract: 'identity', method: 'rotateKey', payload: { signingKey: 'ab', proof: 'cd' } }), E.APP, 'PAYLOAD_INVALID', 'signingKey');
    }));
});

/** Holds block production while `hold()` is in force; commit-wait timers run as usual. */
class HoldingClock implements Clock {
  #holding = false;
  #held: (() => void)[] = [];

  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, delayMs: number): { cancel(): void } {
    if (!this.#holding || delayMs >= COMMIT_WAIT_MS) return systemClock.setTimeout(callback, delayMs);
    let cancelled = false;
    this.#held.push(() => {
      if (!cancelled) callback();
    });
    return { cancel: () => (cancelled = true) };
  }

  hold(): void {
    this.#holding = true;
  }

  release(): void {
    this.#holding = false;
    for (const run of this.#held.splice(0)) run();
  }
}

describe('transactions refused while others wait for a block', () => {
  const clock = new HoldingClock();
  let temp: TempNode;
  let orgKey: SigningKey;
  const TXS_MAX = 3;
  before(async () => {
    temp = await startTempNode({ clock, config: { mempool: { txsMax: TXS_MAX, bytesMax: 1024 } } });
    orgKey = await orgSigningKey(temp);
  });
  after(async () => {
    clock.release();
    await temp.close();
  });

  async function signed(contact: string) {
    return signTransaction(
      {
        v: 1, chain: temp.node.ledger.chainId, contract: 'identity', method: 'updateProfile', payload: { contact },
        signer: orgKey.publicKey, nonce: new Uint8Array(randomBytes(16)), expires: (await headHeight(temp)) + 10,
      },
      orgKey,
    );
  }
  const submitSigned = (bytes: Uint8Array) => temp.rpc('tx.submitSigned', { tx: hex(bytes) }) as Promise<RpcReply>;

  test('the same transaction twice while it waits is TX_DUPLICATE, and after its block TX_ALREADY_COMMITTED', async () => {
    clock.hold();
    const tx = await signed('pending@example.test');
    assert.equal(resultOf<Results['tx.submitSigned']>(await submitSigned(tx.bytes)).hash, tx.idHex);
    const waiting = await snapshot(temp);
    assert.equal(waiting.mempool.size, 1);
    assertError(await submitSigned(tx.bytes), E.APP, 'TX_DUPLICATE');
    assertError(await temp.rpc('tx.submitSigned', { tx: hex(tx.bytes), waitForCommit: true }), E.APP, 'TX_DUPLICATE');
    assert.deepEqual(await snapshot(temp), waiting);

    clock.release();
    await waitFor(async () => (await snapshot(temp)).txCount === waiting.txCount + 1, 'the block');
    const committed = await snapshot(temp);
    assert.equal(committed.mempool.size, 0);
    assert.equal((committed.org as { contact: string }).contact, 'pending@example.test');
    await withoutHarm(temp, async () => {
      assertError(await submitSigned(tx.bytes), E.APP, 'TX_ALREADY_COMMITTED');
    });
  });

  test('a full mempool, by count or by bytes, is MEMPOOL_FULL until a block drains it', async () => {
    clock.hold();
    const start = await snapshot(temp);
    const admitted = [];
    for (let i = 0; i < TXS_MAX; i++) {
      const tx = await signed(`queued-${i}`);
      resultOf(await submitSigned(tx.bytes));
      admitted.push(tx);
    }
    const full = await snapshot(temp);
    assert.equal(full.mempool.size, TXS_MAX);
    assert.equal(full.height, start.height, 'no block while production is held');
    const refused = await signed('one too many');
    assertError(await submitSigned(refused.bytes), E.APP, 'MEMPOOL_FULL');
    assertError(await temp.rpc('tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact: 'also too many' } }), E.APP, 'MEMPOOL_FULL');
    assert.deepEqual(await snapshot(temp), full);

    clock.release();
    await waitFor(async () => (await snapshot(temp)).txCount === start.txCount + TXS_MAX, 'the queued block');
    assert.equal((await snapshot(temp)).mempool.size, 0);
    for (const tx of admitted) assert.equal(resultOf<Results['tx.get']>(await temp.rpc('tx.get', { hash: tx.idHex })).receipt.ok, true);
    // The refused transaction was never admitted; now that there is room it commits.
    assert.equal(resultOf<Results['tx.submitSigned']>(await temp.rpc('tx.submitSigned', { tx: hex(refused.bytes), waitForCommit: true })).receipt?.ok, true);

    // Bytes: one small and one large transaction leave no room under 1024 bytes for a third.
    clock.hold();
    const before = await snapshot(temp);
    const small = await signed('s');
    const large = await signed('l'.repeat(400));
    resultOf(await submitSigned(small.bytes));
    resultOf(await submitSigned(large.bytes));
    const third = await signed('x'.repeat(200));
    const queued = await snapshot(temp);
    assert.equal(queued.mempool.size, 2);
    assert.ok(queued.mempool.bytes + third.bytes.length > 1024 && queued.mempool.size < TXS_MAX, 'the third fits by count, not by bytes');
    assertError(await submitSigned(third.bytes), E.APP, 'MEMPOOL_FULL');
    assert.deepEqual(await snapshot(temp), queued);
    clock.release();
    await waitFor(async () => (await snapshot(temp)).txCount === before.txCount + 2, 'the queued block');
    await assertGoodTxCommits(temp);
  });
});

/** A JSON-RPC client over one WebSocket that sorts replies by id and keeps notifications apart. */
class WsClient {
  readonly ws: WebSocket;
  readonly notifications: RpcReply[] = [];
  readonly #replies = new Map<unknown, (reply: RpcReply) => void>();
  readonly #anonymous: ((reply: RpcReply) => void)[] = [];
  readonly #notificationWaiters: (() => void)[] = [];
  #nextId = 0;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as RpcReply & { method?: string };
      if (message.method !== undefined && message.id === undefined) {
        this.notifications.push(message);
        for (const wake of this.#notificationWaiters.splice(0)) wake();
      } else if (this.#replies.has(message.id)) {
        const resolve = this.#replies.get(message.id) as (reply: RpcReply) => void;
        this.#replies.delete(message.id);
        resolve(message);
      } else {
        this.#anonymous.shift()?.(message);
      }
    });
  }

  /** Opens a connection, or reports the HTTP status that refused the handshake. */
  static connect(url: string, protocols: string[] | undefined, options: ClientOptions = {}): Promise<WsClient | number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols ?? [], options);
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  call(method: string, params: unknown = {}): Promise<RpcReply> {
    const id = ++this.#nextId;
    return new Promise((resolve) => {
      this.#replies.set(id, resolve);
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  /** Sends a frame whose reply carries no id of ours. */
  sendRaw(data: string | Buffer): Promise<RpcReply> {
    return new Promise((resolve) => {
      this.#anonymous.push(resolve);
      this.ws.send(data);
    });
  }

  async notification(count: number, timeoutMs = 5000): Promise<RpcReply[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.notifications.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} notifications, got ${this.notifications.length}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#notificationWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.notifications.splice(0, count);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}

describe('the WebSocket endpoint', () => {
  let temp: TempNode;
  let wsUrl: string;
  const clients: WsClient[] = [];
  before(async () => {
    temp = await startTempNode();
    wsUrl = `ws://127.0.0.1:${temp.server.port}/rpc`;
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await temp.close();
  });

  async function connect(protocols: string[] | undefined, options: ClientOptions = {}): Promise<WsClient> {
    const client = await WsClient.connect(wsUrl, protocols, options);
    assert.ok(client instanceof WsClient, `handshake refused with HTTP ${String(client)}`);
    clients.push(client);
    return client;
  }
  const withHeader = () => connect(undefined, { headers: { authorization: `Bearer ${temp.server.token}` } });

  test('a connection with the token as a bearer header answers calls', async () => {
    const client = await withHeader();
    const status = resultOf<Status>(await client.call('node.status'));
    assert.equal(status.organisation.id, temp.init.orgId);
  });

  test('a connection with the token as an "ingot-token." subprotocol next to "ingot-rpc" answers calls', async () => {
    const client = await connect(['ingot-rpc', `ingot-token.${temp.server.token}`]);
    assert.equal(client.ws.protocol, 'ingot-rpc', 'the server picks ingot-rpc, never echoes the token');
    resultOf<Status>(await client.call('node.status'));
  });

  test('a handshake without the right token is refused with HTTP 401', () =>
    withoutHarm(temp, async () => {
      const token = temp.server.token;
      const wrong = token.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      const attempts: [string[] | undefined, ClientOptions][] = [
        [undefined, {}],
        [['ingot-rpc'], {}],
        [undefined, { headers: { authorization: `Bearer ${wrong}` } }],
        [undefined, { headers: { authorization: `Basic ${token}` } }],
        [['ingot-rpc', `ingot-token.${wrong}`], {}],
        [['ingot-rpc', `ingot-token.${token}x`], {}],
      ];
      for (const [protocols, options] of attempts) {
        assert.equal(await WsClient.connect(wsUrl, protocols, options), 401, JSON.stringify([protocols, options]));
      }
      const otherPath = await WsClient.connect(`ws://127.0.0.1:${temp.server.port}/other`, undefined, { headers: { authorization: `Bearer ${token}` } });
      assert.ok(typeof otherPath === 'number' && otherPath >= 400, `a WebSocket elsewhere than /rpc is refused (${String(otherPath)})`);
    }));

  test('blocks.subscribe delivers a blocks.header notification for each committed block', async () => {
    const client = await withHeader();
    const { subscription } = resultOf<Results['blocks.subscribe']>(await client.call('blocks.subscribe'));
    assert.equal(typeof subscription, 'string');
    const submitted = resultOf<Results['tx.submit']>(
      await temp.rpc('tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact: 'ws@example.test' }, waitForCommit: true }),
    );
    const [notification] = await client.notification(1);
    assert.equal(notification?.jsonrpc, '2.0');
    assert.equal((notification as { method?: string }).method, 'blocks.header');
    const params = (notification as { params: Results['blocks.subscribe'] & { header: Results['block.get']['header']; txCount: number } }).params;
    assert.equal(params.subscription, subscription);
    assert.equal(params.txCount, 1);
    assert.equal(params.header.height, submitted.height);
    const block = resultOf<Results['block.get']>(await temp.rpc('block.get', { height: submitted.height }));
    assert.deepEqual(params.header, block.header);
    assert.deepEqual(block.txs, [submitted.hash]);
  });

  test('blocks.unsubscribe stops the notifications of that subscription only', async () => {
    const client = await withHeader();
    const first = resultOf<Results['blocks.subscribe']>(await client.call('blocks.subscribe')).subscription;
    const second = resultOf<Results['blocks.subscribe']>(await client.call('blocks.subscribe')).subscription;
    assert.notEqual(first, second);
    await assertGoodTxCommits(temp);
    const both = await client.notification(2);
    assert.deepEqual(new Set(both.map((n) => (n as { params: { subscription: string } }).params.subscription)), new Set([first, second]));

    assert.deepEqual(resultOf(await client.call('blocks.unsubscribe', { subscription: first })), { unsubscribed: true });
    assert.deepEqual(resultOf(await client.call('blocks.unsubscribe', { subscription: first })), { unsubscribed: false });
    assert.deepEqual(resultOf(await client.call('blocks.unsubscribe', { subscription: 'never-made' })), { unsubscribed: false });
    await assertGoodTxCommits(temp);
    const [only] = await client.notification(1);
    assert.equal((only as { params: { subscription: string } }).params.subscription, second);
    assert.deepEqual(resultOf(await client.call('blocks.unsubscribe', { subscription: second })), { unsubscribed: true });
    await assertGoodTxCommits(temp);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(client.notifications.length, 0, 'no notifications after unsubscribing');
  });

  test('a subscription made on another connection cannot be cancelled from this one', async () => {
    const owner = await withHeader();
    const other = await withHeader();
    const { subscription } = resultOf<Results['blocks.subscribe']>(await owner.call('blocks.subscribe'));
    assert.deepEqual(resultOf(await other.call('blocks.unsubscribe', { subscription })), { unsubscribed: false });
    await assertGoodTxCommits(temp);
    assert.equal((await owner.notification(1)).length, 1);
    await owner.call('blocks.unsubscribe', { subscription });
  });

  test('blocks.subscribe and blocks.unsubscribe over HTTP are SUBSCRIPTION_NEEDS_WEBSOCKET', () =>
    withoutHarm(temp, async () => {
      assertError(await temp.rpc('blocks.subscribe'), E.APP, 'SUBSCRIPTION_NEEDS_WEBSOCKET');
      assertError(await temp.rpc('blocks.unsubscribe', { subscription: 'abc' }), E.APP, 'SUBSCRIPTION_NEEDS_WEBSOCKET');
    }));

  test('bad frames get error replies and the connection stays usable', () =>
    withoutHarm(temp, async () => {
      const client = await withHeader();
      const parse = await client.sendRaw('{"jsonrpc": "2.0", "id": 1,');
      assertError(parse, E.PARSE, 'PARSE_ERROR');
      assertError(await client.sendRaw(Buffer.from(call('node.status', {}))), E.REQUEST, 'INVALID_REQUEST');
      assertError(await client.sendRaw('[]'), E.REQUEST, 'INVALID_REQUEST');
      assertError(await client.call('no.such'), E.METHOD, 'METHOD_NOT_FOUND');
      assertError(await client.call('block.get', { height: 'one' }), E.PARAMS, 'INVALID_PARAMS', 'height');
      assertError(await client.call('tx.submitSigned', { tx: 'deadbeef' }), E.APP, 'TX_MALFORMED');
      resultOf<Status>(await client.call('node.status'));
    }));

  test('a frame over the size limit closes that connection only', () =>
    withoutHarm(temp, async () => {
      const client = await withHeader();
      const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
      client.ws.send(call('node.status', {}).padEnd(REQUEST_BYTES_MAX + 1, ' '));
      assert.equal(await closed, 1009);
      const fresh = await withHeader();
      resultOf<Status>(await fresh.call('node.status'));
    }));
});
