import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { assert } from '../codec/errors.ts';
import { verifySignature } from '../crypto/ed25519.ts';

/** One Ed25519 check: public key (32) ‖ message (32) ‖ signature (64). Transactions sign their 32-byte id. */
export const CHECK_BYTES = 128;

export interface SignatureCheck {
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
  readonly signature: Uint8Array;
}

export interface SignatureVerifier {
  verifyBatch(checks: readonly SignatureCheck[]): Promise<boolean[]>;
  close(): Promise<void>;
}

export function pack(checks: readonly SignatureCheck[]): Uint8Array<ArrayBuffer> {
  const packed = new Uint8Array(checks.length * CHECK_BYTES);
  checks.forEach(({ publicKey, message, signature }, i) => {
    assert(publicKey.length === 32 && message.length === 32 && signature.length === 64, 'signature check shape');
    packed.set(publicKey, i * CHECK_BYTES);
    packed.set(message, i * CHECK_BYTES + 32);
    packed.set(signature, i * CHECK_BYTES + 64);
  });
  return packed;
}

export function verifyPacked(packed: Uint8Array): Uint8Array<ArrayBuffer> {
  const count = packed.length / CHECK_BYTES;
  const results = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * CHECK_BYTES;
    results[i] = verifySignature(packed.subarray(at, at + 32), packed.subarray(at + 32, at + 64), packed.subarray(at + 64, at + 128)) ? 1 : 0;
  }
  return results;
}

/** Verifies on the calling thread: for tools and tests, and the fallback when workers fail. */
export const inlineVerifier: SignatureVerifier = {
  verifyBatch: (checks) => Promise.resolve(checks.map((c) => verifySignature(c.publicKey, c.message, c.signature))),
  close: () => Promise.resolve(),
};

/** Batches smaller than this are verified inline: the round trip to a worker costs more than it saves. */
const WORKER_BATCH_MIN = 8;

interface Pending {
  resolve(results: Uint8Array): void;
  reject(error: Error): void;
}

/**
 * Signature checks bound a node's transaction rate, and they are independent of each other, so
 * they run on worker threads while the main thread executes and commits blocks.
 */
export class WorkerVerifier implements SignatureVerifier {
  readonly #threads: number;
  readonly #workers: Worker[] = [];
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #broken = false;

  // One thread per core: while admission waits for signatures the main thread is mostly idle.
  constructor(threads = availableParallelism()) {
    this.#threads = threads;
  }

  /** Threads start with the first batch worth sending them: a node that only reads never pays for them. */
  #start(): void {
    for (let i = 0; i < this.#threads; i++) {
      const worker = new Worker(new URL('./signature-worker.ts', import.meta.url));
      worker.on('message', ({ id, results }: { id: number; results: Uint8Array }) => {
        const pending = this.#pending.get(id);
        this.#pending.delete(id);
        // An idle pool must not keep the process alive; a busy one must.
        if (this.#pending.size === 0) for (const w of this.#workers) w.unref();
        pending?.resolve(results);
      });
      worker.on('error', (error) => this.#fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.#fail(new Error(`signature worker exited with code ${code}`));
      });
      worker.unref();
      this.#workers.push(worker);
    }
  }

  async verifyBatch(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    if (this.#broken || checks.length < WORKER_BATCH_MIN) return inlineVerifier.verifyBatch(checks);
    if (this.#workers.length === 0) this.#start();
    const share = Math.ceil(checks.length / this.#workers.length);
    const parts = await Promise.all(
      this.#workers.map((worker, w) => {
        const slice = checks.slice(w * share, (w + 1) * share);
        if (slice.length === 0) return Promise.resolve(new Uint8Array(0));
        return this.#run(worker, slice).catch(() => verifyPacked(pack(slice)));
      }),
    );
    return parts.flatMap((part) => [...part].map((bit) => bit === 1));
  }

  #run(worker: Worker, checks: readonly SignatureCheck[]): Promise<Uint8Array> {
    const id = this.#nextId++;
    const packed = pack(checks);
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      for (const w of this.#workers) w.ref();
      worker.postMessage({ id, packed }, [packed.buffer]);
    });
  }

  /** A dead worker must not stall admission: finish its work inline from now on. */
  #fail(error: Error): void {
    this.#broken = true;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  async close(): Promise<void> {
    this.#broken = true;
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
