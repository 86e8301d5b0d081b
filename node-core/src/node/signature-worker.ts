import { parentPort } from 'node:worker_threads';
import { verifyPacked } from './signature-verifier.ts';

/** Worker thread of WorkerVerifier: verifies packed batches and answers with one byte per check. */
parentPort?.on('message', ({ id, packed }: { id: number; packed: Uint8Array }) => {
  const results = verifyPacked(packed);
  parentPort?.postMessage({ id, results }, [results.buffer]);
});
