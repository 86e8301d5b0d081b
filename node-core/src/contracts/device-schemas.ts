import { z } from 'zod';
import { ORG_ID } from '../codec/names.ts';
import { DEVICE_LIMITS, EVENT_KINDS, PERMISSIONS } from './device-state.ts';
import { timestamp } from './schemas.ts';

/** Payload shapes of the `device` contract: every text and list is bounded. */

/** A device id, like an organisation id: 20 bytes of lower-case hex. */
export const deviceId = z.string().regex(ORG_ID, 'expected a device id (20 bytes of lower-case hex)');

const text = (max: number) => z.string().trim().min(1).max(max);
const unique = (values: readonly string[]) => new Set(values).size === values.length;

export const model = text(DEVICE_LIMITS.modelCharsMax);
export const manufacturer = z.string().trim().max(DEVICE_LIMITS.manufacturerCharsMax);
export const serial = text(DEVICE_LIMITS.serialCharsMax);

/** Industry codes, e.g. `{ scheme: 'GB/T 34014', code: '…' }` for a traction battery's coding. */
export const codes = z
  .array(z.object({ scheme: text(DEVICE_LIMITS.codeSchemeCharsMax), code: text(DEVICE_LIMITS.codeCharsMax) }).strict())
  .max(DEVICE_LIMITS.codesMax);

/** Free metadata: printable keys without spaces, short values. */
export const metadata = z
  .record(z.string().regex(new RegExp(`^[\\x21-\\x7e]{1,${DEVICE_LIMITS.metadataKeyCharsMax}}$`), 'expected a printable key without spaces'), z.string().max(DEVICE_LIMITS.metadataValueCharsMax))
  .refine((map) => Object.keys(map).length <= DEVICE_LIMITS.metadataEntriesMax, { message: `at most ${DEVICE_LIMITS.metadataEntriesMax} metadata entries` });

export const eventKind = z.enum(EVENT_KINDS);
export const note = z.string().trim().max(DEVICE_LIMITS.noteCharsMax);
export const permission = z.enum(PERMISSIONS);
export const permissions = z.array(permission).max(PERMISSIONS.length).refine(unique, { message: 'a permission appears twice' });
/** A token id: 16 random bytes as lower-case hex. */
export const tokenId = z.string().regex(/^[0-9a-f]{32}$/, 'expected 16 bytes of lower-case hex');
export { timestamp };
