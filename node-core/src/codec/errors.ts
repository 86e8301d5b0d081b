/**
 * An operating error with a stable code. Every layer throws these for bad input; callers map
 * the code to RPC errors, CLI exit messages and receipts without parsing messages.
 */
export class IngotError extends Error {
  readonly code: string;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'IngotError';
    this.code = code;
    this.details = details;
  }
}

/** A broken invariant: a bug. Never caught to carry on; the node stops rather than write bad data. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(`invariant broken: ${message}`);
    this.name = 'InvariantError';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}
