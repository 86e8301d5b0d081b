import { IngotError } from '../codec/errors.ts';

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const HEX = /^(?:[0-9a-f]{2})*$/;

/** Parses lower-case hex of an exact byte length; `field` names the input in the error. */
export function fromHex(hex: string, byteLength: number, field: string): Uint8Array {
  if (hex.length !== byteLength * 2 || !HEX.test(hex)) {
    throw new IngotError('INVALID_HEX', `${field} must be ${byteLength} bytes of lower-case hex`, { field });
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
