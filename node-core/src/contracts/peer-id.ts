/**
 * The libp2p peer id of an Ed25519 public key, as text: base58btc of the identity multihash of the
 * key's protobuf encoding (`12D3KooW…`). Node keys and invite keys are Ed25519 keys whose peer ids
 * the network's gate admits; the contracts compare them with organisations' node lists.
 */

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** identity multihash (0x00), 36 bytes; protobuf PublicKey { Type: Ed25519 (1), Data: 32 bytes }. */
const PREFIX = [0x00, 0x24, 0x08, 0x01, 0x12, 0x20];

export function peerIdOfKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new RangeError('an Ed25519 public key is 32 bytes');
  return base58btc(Uint8Array.from([...PREFIX, ...publicKey]));
}

/** The Ed25519 public key a peer id stands for; undefined for text that is not such a peer id. */
export function keyOfPeerId(peerId: string): Uint8Array | undefined {
  const bytes = fromBase58btc(peerId);
  if (bytes === undefined || bytes.length !== PREFIX.length + 32 || PREFIX.some((byte, i) => bytes[i] !== byte)) return undefined;
  const key = bytes.slice(PREFIX.length);
  // Only the canonical text of a key counts: the same key spelled another way would be another node id.
  return peerIdOfKey(key) === peerId ? key : undefined;
}

function fromBase58btc(text: string): Uint8Array | undefined {
  if (text.length === 0 || text.length > 128) return undefined;
  const bytes: number[] = [];
  for (const char of text) {
    let carry = ALPHABET.indexOf(char);
    if (carry < 0) return undefined;
    for (let i = 0; i < bytes.length; i++) {
      carry += (bytes[i] as number) * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) {
      bytes.push(carry & 0xff);
      carry >>= 8;
    }
  }
  let zeros = 0;
  while (zeros < text.length && text[zeros] === '1') zeros++;
  return Uint8Array.from([...new Array<number>(zeros).fill(0), ...bytes.reverse()]);
}

function base58btc(bytes: Uint8Array): string {
  const digits: number[] = [];
  for (const byte of bytes) {
    let carry = byte;
    for (let i = 0; i < digits.length; i++) {
      carry += (digits[i] as number) << 8;
      digits[i] = carry % 58;
      carry = Math.floor(carry / 58);
    }
    while (carry > 0) {
      digits.push(carry % 58);
      carry = Math.floor(carry / 58);
    }
  }
  let zeros = 0;
  while (zeros < bytes.length && bytes[zeros] === 0) zeros++;
  return '1'.repeat(zeros) + digits.reverse().map((d) => ALPHABET[d]).join('');
}
