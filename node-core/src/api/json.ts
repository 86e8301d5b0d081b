import { z } from 'zod';

/** JSON values that map one-to-one onto Ingot's canonical encoding: no fractions, bounded nesting. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export const JSON_DEPTH_MAX = 16;

/**
 * Bounded nesting, and no `__proto__` key: decoding it back from CBOR would set an object's
 * prototype instead of a property, so the value could never be read back as it was signed.
 */
function wellFormed(value: unknown, depth: number): boolean {
  if (depth > JSON_DEPTH_MAX) return false;
  if (Array.isArray(value)) return value.every((item) => wellFormed(item, depth + 1));
  if (value !== null && typeof value === 'object') {
    return !Object.hasOwn(value, '__proto__') && Object.values(value).every((item) => wellFormed(item, depth + 1));
  }
  return true;
}

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.null(),
    z.boolean(),
    z.number().int('numbers must be integers (put decimals in strings)').min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
    z.string(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);

export const jsonObject = z
  .custom<unknown>((value) => wellFormed(value, 0), { message: `nesting deeper than ${JSON_DEPTH_MAX} levels, or a "__proto__" key` })
  .pipe(z.record(z.string(), jsonValue));
