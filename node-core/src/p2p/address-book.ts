import { z } from 'zod';
import { decode, encode } from '../codec/cbor.ts';
import { IngotError } from '../codec/errors.ts';

/**
 * What members tell each other about where the other members listen. A node that joined knowing
 * only its inviter's address learns the others' from it and connects to them directly, so the
 * consortium does not hang on the inviter's node. Addresses only say where to dial: the peer id
 * is proved by the connection's handshake, so a wrong address costs a failed dial, nothing more.
 */

/** A frame kind of its own on the message stream, apart from the topics the node sees. */
export const ADDRESS_BOOK_KIND = 0x40;
export const ADDRESS_BOOK_PEERS_MAX = 64;
export const ADDRESS_BOOK_ADDRESSES_MAX = 8;
export const ADDRESS_BOOK_BYTES_MAX = 64 * 1024;
/** How often each member is told again, besides when someone connects. */
export const ADDRESS_BOOK_INTERVAL_MS = 30_000;

const entrySchema = z
  .object({
    peer: z.string().min(1).max(128),
    addrs: z.array(z.string().min(4).max(512).regex(/^\//)).min(1).max(ADDRESS_BOOK_ADDRESSES_MAX),
  })
  .strict();
const addressBookSchema = z.array(entrySchema).max(ADDRESS_BOOK_PEERS_MAX);
export type AddressBookEntry = z.infer<typeof entrySchema>;

export function encodeAddressBook(entries: readonly AddressBookEntry[]): Uint8Array {
  return encode(entries.slice(0, ADDRESS_BOOK_PEERS_MAX).map((entry) => ({ peer: entry.peer, addrs: entry.addrs.slice(0, ADDRESS_BOOK_ADDRESSES_MAX) })));
}

export function decodeAddressBook(bytes: Uint8Array): AddressBookEntry[] {
  if (bytes.byteLength > ADDRESS_BOOK_BYTES_MAX) throw new IngotError('P2P_ADDRESS_BOOK_INVALID', `an address book of ${bytes.byteLength} bytes`);
  const parsed = addressBookSchema.safeParse(decode(bytes));
  if (!parsed.success) throw new IngotError('P2P_ADDRESS_BOOK_INVALID', `address book: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}
