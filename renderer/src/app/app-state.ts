import type { AppState } from '../../../node-core/src/api/methods.ts';

/**
 * How often a visible window asks the node for its phase: another tab or the CLI may unlock it, or
 * it may stop, and no event says so.
 */
export const APP_STATE_POLL_MS = 3000;

/** Whether a state just read differs from the one shown, so that an unchanged answer re-renders nothing. */
export function appStateChanged(shown: AppState | undefined, fresh: AppState): boolean {
  return (
    shown === undefined ||
    shown.phase !== fresh.phase ||
    shown.dataDir !== fresh.dataDir ||
    shown.canRememberPassphrase !== fresh.canRememberPassphrase ||
    shown.error?.code !== fresh.error?.code ||
    shown.error?.message !== fresh.error?.message ||
    JSON.stringify(shown.join) !== JSON.stringify(fresh.join)
  );
}

/** A node that joined with an invite and is not yet a member that has caught up: the window shows its progress instead of the screens. */
export function joining(state: AppState | undefined): state is AppState & { join: NonNullable<AppState['join']> } {
  return state?.join !== undefined && state.join.state !== 'member' && (state.phase === 'running' || state.phase === 'starting');
}
