// Per-segment alerts (multi-alerts): a rule with `group_by` runs the state machine of core/alert-state.ts once per value
// of the property (docs/api.md#alert-rules-and-alerts, docs/architecture.md#rule-8-alerts-read-the-truth-once-it-is-written).
// This module decides which groups an evaluation looks at (the cap), steps each one, and which it forgets. Pure.
import {
  INITIAL_STATE,
  nextState,
  type AlertState,
  type AlertStateName,
  type Timing,
  type Transition,
} from './alert-state';

/** At most this many groups per rule are evaluated (and have a state); docs/api.md#alert-rules-and-alerts. */
export const MAX_GROUPS = 100;
/** A property value whose text is longer than this, or empty, is not a group: such events are left out like events without it. */
export const MAX_GROUP_KEY_LENGTH = 200;
/** The window read ranks at most this many groups (by events in the window) besides the groups that have a state. */
export const GROUP_READ_LIMIT = 1_000;

/** The values of the groups that have events in the window, and how many such groups there were in all. */
export interface GroupValues {
  values: Map<string, number | null>;
  /** Distinct groups with events in the window (values may hold fewer: the read keeps GROUP_READ_LIMIT of them). */
  total: number;
}

export interface GroupStep {
  key: string;
  /** The state after this evaluation (saved unless `forget`). */
  state: AlertState;
  /** Recorded (history, outbox) unless null. */
  transition: Transition | null;
  /** The group is dropped: it had no events in the window and was, and stays, ok or no_data. */
  forget: boolean;
}

export interface GroupEvaluation {
  /** The groups evaluated, most alarming first, plus the tracked groups dropped by the cap (forget, no transition). */
  steps: GroupStep[];
  /** Groups with events in the window that were not evaluated because of the cap. */
  truncated: number;
  /** The rule's own state: the worst state of its groups (firing > pending > error > no_data > ok), ok without groups. */
  summary: { state: AlertStateName; error: string | null };
}

const WORST: AlertStateName[] = ['firing', 'pending', 'error', 'no_data', 'ok'];

const cooling = (s: AlertState, t: Timing, nowMs: number) =>
  s.lastFiredNotifiedAtMs !== null && nowMs - s.lastFiredNotifiedAtMs < t.cooldownMs;

/**
 * How alarming a value is under the condition (lower sorts first): the highest values for > and >=, the lowest for
 * < and <=, the nearest for ==; undefined values last.
 */
export function severity(value: number | null, t: Pick<Timing, 'op' | 'threshold'>): number {
  if (value === null) return Number.POSITIVE_INFINITY;
  if (t.op === '>' || t.op === '>=') return -value;
  if (t.op === '<' || t.op === '<=') return value;
  return Math.abs(value - t.threshold);
}

/**
 * One evaluation of a grouped rule at `nowMs`.
 * - The groups looked at: every group with a state (tracked) and every group with events in the window (`seen`). A
 *   tracked group without events has the metric's value of an empty window (`emptyValue`: 0 for counts and sums,
 *   undefined for averages, percentiles and ratios), so absence conditions fire per group.
 * - The cap: tracked groups that are pending, firing, in error or inside their cooldown are always evaluated (so they
 *   resolve and keep their cooldown); the other places up to `cap` go to the most alarming of the rest (severity,
 *   then key). The seen groups left out are counted in `truncated`; tracked ones left out are forgotten (they were
 *   ok or no_data: nothing to resolve).
 * - A group without events that was and stays ok or no_data (outside its cooldown) is forgotten without a
 *   transition; a new group starts `ok`, as a new rule does.
 * - A read error (`{ error }`) steps every tracked group with it (error, or firing until the lateness passes).
 */
export function evaluateGroups(input: {
  tracked: Map<string, AlertState>;
  seen: GroupValues | { error: string };
  emptyValue: number | null;
  timing: Timing;
  nowMs: number;
  cap?: number;
}): GroupEvaluation {
  const { tracked, seen, timing, nowMs } = input;
  const cap = input.cap ?? MAX_GROUPS;
  const steps: GroupStep[] = [];
  let truncated = 0;
  const readError = 'error' in seen ? seen.error : null;

  let chosen: string[];
  const valueOf = (k: string): number | null =>
    'error' in seen ? null : seen.values.has(k) ? seen.values.get(k)! : input.emptyValue;
  if ('error' in seen) {
    chosen = [...tracked.keys()].sort();
  } else {
    const keep = (k: string) => {
      const s = tracked.get(k);
      return s !== undefined && (['pending', 'firing', 'error'].includes(s.state) || cooling(s, timing, nowMs));
    };
    const all = [...new Set([...tracked.keys(), ...seen.values.keys()])];
    const byAlarm = (a: string, b: string) =>
      severity(valueOf(a), timing) - severity(valueOf(b), timing) || (a < b ? -1 : a > b ? 1 : 0);
    const kept = all.filter(keep).sort(byAlarm);
    const rest = all.filter((k) => !keep(k)).sort(byAlarm);
    chosen = [...kept, ...rest.slice(0, Math.max(0, cap - kept.length))];
    const left = rest.slice(Math.max(0, cap - kept.length));
    for (const k of left) {
      if (tracked.has(k)) steps.push({ key: k, state: tracked.get(k)!, transition: null, forget: true });
    }
    // Groups with events the read did not even return (beyond GROUP_READ_LIMIT) are left out too.
    truncated = left.filter((k) => seen.values.has(k)).length + Math.max(0, seen.total - seen.values.size);
  }

  const evaluated: GroupStep[] = [];
  for (const key of chosen) {
    const prev = tracked.get(key) ?? { ...INITIAL_STATE, sinceMs: nowMs };
    const outcome = readError !== null ? { error: readError } : { value: valueOf(key) };
    const { state, transition } = nextState(prev, outcome, timing, nowMs);
    const quiet = (s: AlertStateName) => s === 'ok' || s === 'no_data';
    const absent = readError === null && !(seen as GroupValues).values.has(key);
    const forget = absent && quiet(prev.state) && quiet(state.state) && !cooling(state, timing, nowMs);
    evaluated.push({ key, state, transition: forget ? null : transition, forget });
  }

  const live = evaluated.filter((s) => !s.forget);
  const worst = WORST.find((w) => live.some((s) => s.state.state === w));
  const summary =
    worst !== undefined
      ? { state: worst, error: live.find((s) => s.state.error !== null)?.state.error ?? null }
      : readError !== null
        ? { state: 'error' as const, error: readError }
        : { state: 'ok' as const, error: null };
  return { steps: [...evaluated, ...steps], truncated, summary };
}

/** The `group` object of payloads and views: {"<group_by path>": "<value>"}. */
export function groupObject(path: string, key: string): Record<string, string> {
  return { [path]: key };
}
