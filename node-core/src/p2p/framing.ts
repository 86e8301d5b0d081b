import { IngotError } from '../codec/errors.ts';

/**
 * Frames on Ingot's streams: one kind byte, a 4-byte big-endian payload length, the payload.
 * The reader checks the kind and its size limit from the 5-byte header, before it allocates
 * anything for the payload, so a peer cannot make it buffer more than one bounded frame.
 */
export const FRAME_HEADER_BYTES = 5;

export interface Frame {
  readonly kind: number;
  readonly payload: Uint8Array;
}

export function encodeFrame(kind: number, payload: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.byteLength);
  frame[0] = kind;
  new DataView(frame.buffer).setUint32(1, payload.byteLength);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/** Chunks as libp2p streams deliver them: a Uint8Array or a list of them. */
export type Chunk = Uint8Array | { subarray(): Uint8Array };

export class FrameDecoder {
  readonly #maxFor: (kind: number) => number | undefined;
  readonly #header = new Uint8Array(FRAME_HEADER_BYTES);
  #headerFilled = 0;
  #kind = 0;
  #payload: Uint8Array | undefined;
  #payloadFilled = 0;

  /** `maxFor` gives a kind's largest payload, or undefined for a kind that must not appear. */
  constructor(maxFor: (kind: number) => number | undefined) {
    this.#maxFor = maxFor;
  }

  /** Throws an IngotError (P2P_FRAME_INVALID or P2P_FRAME_TOO_LARGE) on a frame the stream must be reset for. */
  push(chunk: Chunk): Frame[] {
    const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray();
    const frames: Frame[] = [];
    let offset = 0;
    while (offset < bytes.byteLength) {
      if (this.#payload === undefined) {
        const take = Math.min(FRAME_HEADER_BYTES - this.#headerFilled, bytes.byteLength - offset);
        this.#header.set(bytes.subarray(offset, offset + take), this.#headerFilled);
        this.#headerFilled += take;
        offset += take;
        if (this.#headerFilled < FRAME_HEADER_BYTES) break;
        this.#kind = this.#header[0]!;
        const length = new DataView(this.#header.buffer).getUint32(1);
        const max = this.#maxFor(this.#kind);
        if (max === undefined) throw new IngotError('P2P_FRAME_INVALID', `unexpected frame kind ${this.#kind}`);
        if (length > max) throw new IngotError('P2P_FRAME_TOO_LARGE', `a frame of kind ${this.#kind} announces ${length} bytes, more than ${max}`, { kind: this.#kind, bytes: length, max });
        this.#payload = new Uint8Array(length);
        this.#payloadFilled = 0;
      }
      const take = Math.min(this.#payload.byteLength - this.#payloadFilled, bytes.byteLength - offset);
      this.#payload.set(bytes.subarray(offset, offset + take), this.#payloadFilled);
      this.#payloadFilled += take;
      offset += take;
      if (this.#payloadFilled === this.#payload.byteLength) {
        frames.push({ kind: this.#kind, payload: this.#payload });
        this.#payload = undefined;
        this.#headerFilled = 0;
      }
    }
    return frames;
  }
}
