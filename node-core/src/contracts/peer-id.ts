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
