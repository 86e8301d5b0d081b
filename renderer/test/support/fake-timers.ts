import type { Timers } from '../../src/rpc/connection.ts';

/** Timers that run only when a test says so. */
export class FakeTimers implements Timers {
  readonly scheduled = new Map<number, { callback: () => void; ms: number }>();
  #next = 1;
  setTimeout(callback: () => void, ms: number): number {
    const handle = this.#next++;
    this.scheduled.set(handle, { callback, ms });
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.scheduled.delete(handle as number);
  }
  delays(): number[] {
    return [...this.scheduled.values()].map((timer) => timer.ms);
  }
  runAll(): void {
    const due = [...this.scheduled.values()];
    this.scheduled.clear();
    for (const timer of due) timer.callback();
  }
}
