/** How deep a transaction payload may nest, counting the payload map itself as level 0. */
export const PAYLOAD_DEPTH_MAX = 16;

/**
 * Why a payload value cannot round-trip through the canonical encoding unchanged, or undefined.
 * Bounded nesting keeps every decoder's recursion bounded; a `__proto__` key would become a
 * prototype, not a property, when decoded; a lone surrogate has no UTF-8 form.
 */
export function payloadShapeProblem(value: unknown, depth = 0): string | undefined {
  if (depth > PAYLOAD_DEPTH_MAX) return `nests deeper than ${PAYLOAD_DEPTH_MAX} levels`;
  if (typeof value === 'string') return value.isWellFormed() ? undefined : 'holds a string with a lone surrogate';
  if (Array.isArray(value)) {
    for (const item of value) {
      const problem = payloadShapeProblem(item, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    if (Object.hasOwn(value, '__proto__')) return 'has a "__proto__" key';
    for (const [key, item] of Object.entries(value)) {
      if (!key.isWellFormed()) return 'has a key with a lone surrogate';
      const problem = payloadShapeProblem(item, depth + 1);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}
