const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** An Ed25519 peer id: identity multihash (0x00, 36 bytes) of the protobuf key (type 1, 32 bytes). */
const ED25519_PREFIX = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];

function base58Decode(text: string): Uint8Array | undefined {
  const bytes: number[] = [];
  for (const char of text) {
    let carry = BASE58.indexOf(char);
    if (carry < 0) return undefined;
    for (let i = 0; i < bytes.length; i++) {
      carry += (bytes[i] ?? 0) * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  for (const char of text) {
    if (char !== '1') break;
    bytes.push(0);
  }
  return Uint8Array.from(bytes.reverse());
}

/**
 * The node key (hex) inside an Ed25519 peer id such as `12D3KooW…`: a validator's key is its node
 * key, so a proposal to add a node as validator names this. Undefined for anything else.
 */
export function nodeKeyOfPeerId(peerId: string): string | undefined {
  const bytes = base58Decode(peerId);
  if (bytes?.length !== ED25519_PREFIX.length + 32 || ED25519_PREFIX.some((byte, i) => bytes[i] !== byte)) return undefined;
  return [...bytes.subarray(ED25519_PREFIX.length)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
