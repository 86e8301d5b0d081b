import { z } from 'zod';
import { payloadShapeProblem } from '../codec/payload.ts';

/** JSON values that map one-to-one onto Ingot's canonical encoding: no fractions, bounded nesting. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

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

/** A transaction payload as JSON: the same shape rules as the canonical encoding's, checked before the values. */
export const jsonObject = z
  .custom<unknown>()
  .superRefine((value, context) => {
    const problem = payloadShapeProblem(value);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: `payload ${problem}` });
  })
  .pipe(z.record(z.string(), jsonValue));
