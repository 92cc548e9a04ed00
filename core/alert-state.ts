// The state machine of one alert rule (docs/api.md#alert-rules-and-alerts): ok, pending, firing, no_data, error. Pure; time comes in as `nowMs`.
import { compare, type AlertOp } from './alert-rule';

export type AlertStateName = 'ok' | 'pending' | 'firing' | 'no_data' | 'error';

export interface AlertState {
  state: AlertStateName;
  sinceMs: number;
  /** When the condition started holding (state pending, or firing with a `for` period). */
  pendingSinceMs: number | null;
  /** While firing: when the condition was first seen false again (resolve waits for the allowed lateness). */
  clearSinceMs: number | null;
  /** The last firing notification sent: the cooldown runs from here. */
  lastFiredNotifiedAtMs: number | null;
  value: number | null;
  error: string | null;
}

/** The window's value; null when the metric is undefined (ratio with a zero denominator, avg of no events). */
export type Outcome = { value: number | null } | { error: string };

export interface Timing {
  op: AlertOp;
  threshold: number;
  forMs: number;
  cooldownMs: number;
  /** How long a firing rule waits, with its condition false, before it resolves (late events may still come). */
  allowedLatenessMs: number;
}

export interface Transition {
  from: AlertStateName;
  to: AlertStateName;
  /** What to send: a firing notification, a resolve, or nothing (silenced = a firing inside the cooldown). */
  notification: 'firing' | 'resolved' | null;
  silenced: boolean;
}

export const INITIAL_STATE: AlertState = {
  state: 'ok',
  sinceMs: 0,
  pendingSinceMs: null,
  clearSinceMs: null,
  lastFiredNotifiedAtMs: null,
  value: null,
  error: null,
};

/**
 * The next state after an evaluation at `nowMs`, and the transition when the state name changed.
 * - condition holds: ok/no_data/error → pending (for > 0) or firing; pending → firing once `for` has elapsed.
 * - condition false (or the value undefined) while firing: stays firing until it has been so for the allowed
 *   lateness, then → ok (or no_data) with a resolve notification.
 * - entering firing sends a firing notification unless the cooldown since the last one is still running.
 */
export function nextState(
  prev: AlertState,
  outcome: Outcome,
  t: Timing,
  nowMs: number,
): { state: AlertState; transition: Transition | null } {
  const value = 'error' in outcome ? null : outcome.value;
  const error = 'error' in outcome ? outcome.error : null;
  const holds = value !== null && compare(value, t.op, t.threshold);
  let next: AlertState = { ...prev, value, error };

  if (error !== null && prev.state !== 'firing') {
    next = { ...next, state: 'error', pendingSinceMs: null, clearSinceMs: null };
  } else if (holds) {
    if (prev.state === 'firing') next = { ...next, clearSinceMs: null };
    else {
      const pendingSince = prev.state === 'pending' && prev.pendingSinceMs !== null ? prev.pendingSinceMs : nowMs;
      const due = nowMs - pendingSince >= t.forMs;
      next = { ...next, state: due ? 'firing' : 'pending', pendingSinceMs: pendingSince, clearSinceMs: null };
    }
  } else if (prev.state === 'firing') {
    // Not holding (false, undefined or an error): resolve only after the allowed lateness has passed.
    const clearSince = prev.clearSinceMs ?? nowMs;
    const resolved = nowMs - clearSince >= t.allowedLatenessMs;
    next = resolved
      ? {
          ...next,
          state: value === null ? (error !== null ? 'error' : 'no_data') : 'ok',
          pendingSinceMs: null,
          clearSinceMs: null,
        }
      : { ...next, clearSinceMs: clearSince };
  } else {
    next = { ...next, state: value === null ? 'no_data' : 'ok', pendingSinceMs: null, clearSinceMs: null };
  }

  if (next.state === prev.state) return { state: next, transition: null };
  next.sinceMs = nowMs;
  let notification: Transition['notification'] = null;
  let silenced = false;
  if (next.state === 'firing') {
    const cooling = prev.lastFiredNotifiedAtMs !== null && nowMs - prev.lastFiredNotifiedAtMs < t.cooldownMs;
    if (cooling) silenced = true;
    else {
      notification = 'firing';
      next.lastFiredNotifiedAtMs = nowMs;
    }
  } else if (prev.state === 'firing') {
    notification = 'resolved';
  }
  return { state: next, transition: { from: prev.state, to: next.state, notification, silenced } };
}
