// The replay behind POST /v1/alert-rules/preview: the live engine's state machine driven over a past range. Pure:
// the values come from the caller, time only from the arguments (never past `toMs`, which the caller caps at now).
import { compare } from './alert-rule';
import { INITIAL_STATE, nextState, type AlertState, type Timing, type Transition } from './alert-state';

const BUCKET_MS = 10_000;

export interface PreviewSource {
  /** The value of the window ending at the 10 s boundary `boundaryMs`, over the data stamped before it. */
  valueBefore(boundaryMs: number): Promise<number | null>;
  /** The value the live engine computes at instant `ms`, over the data stamped at or before `ms`. */
  valueAt(ms: number): Promise<number | null>;
  /** Instants in (afterMs, untilMs] at which data arrive (event timestamps), oldest first. */
  arrivals(afterMs: number, untilMs: number): Promise<number[]>;
}

export interface PreviewPoint {
  t: number;
  value: number | null;
  state: string;
}

export type PreviewTransition = Transition & { atMs: number; value: number | null };

/**
 * Replays [fromMs, toMs]: one point per `stepMs` (a multiple of 10 s) at the step boundaries, plus `toMs` itself.
 * When the condition changes between two points, the change is placed where it happened: at the event whose arrival
 * (or the 10 s boundary whose passing) made it change, found by bisection over those instants, as the live engine
 * would have decided on receiving it. `for` periods and the allowed lateness end at their exact instants too.
 */
export async function replayRule(
  src: PreviewSource,
  timing: Timing,
  fromMs: number,
  toMs: number,
  stepMs: number,
): Promise<{ series: PreviewPoint[]; transitions: PreviewTransition[] }> {
  if (stepMs <= 0 || stepMs % BUCKET_MS !== 0) throw new Error('stepMs must be a positive multiple of 10 s');
  const holds = (v: number | null) => v !== null && compare(v, timing.op, timing.threshold);
  const series: PreviewPoint[] = [];
  const transitions: PreviewTransition[] = [];
  let state: AlertState = { ...INITIAL_STATE, sinceMs: fromMs };
  let lastMs = fromMs;
  let lastValue: number | null = null;

  const apply = (atMs: number, value: number | null) => {
    const next = nextState(state, { value }, timing, atMs);
    state = next.state;
    lastMs = atMs;
    lastValue = value;
    if (next.transition) transitions.push({ ...next.transition, atMs, value });
  };
  /** When a `for` period or the allowed lateness of the current state ends, if it does. */
  const deadline = (): number | null => {
    if (state.state === 'pending' && state.pendingSinceMs !== null) return state.pendingSinceMs + timing.forMs;
    if (state.state === 'firing' && state.clearSinceMs !== null) return state.clearSinceMs + timing.allowedLatenessMs;
    return null;
  };

  /** Moves the state to `instant`, whose value is `value`, through the crossing and deadlines in between. */
  const advance = async (instant: number, value: number | null) => {
    if (holds(value) !== holds(lastValue)) {
      const boundaries: number[] = [];
      for (let b = (Math.floor(lastMs / BUCKET_MS) + 1) * BUCKET_MS; b < instant; b += BUCKET_MS) boundaries.push(b);
      const candidates = [...new Set([...(await src.arrivals(lastMs, instant - 1)), ...boundaries])]
        .filter((c) => c > lastMs && c < instant)
        .sort((a, b) => a - b);
      const cache = new Map<number, number | null>();
      const at = async (i: number) => {
        const c = candidates[i]!;
        if (!cache.has(c)) cache.set(c, await src.valueAt(c));
        return cache.get(c)!;
      };
      // Invariant: before index l+1 the condition is as it was; at index r (candidates.length: `instant`) it is as now.
      let l = -1;
      let r = candidates.length;
      while (r - l > 1) {
        const m = (l + r) >> 1;
        if (holds(await at(m)) === holds(value)) r = m;
        else l = m;
      }
      if (r < candidates.length) apply(candidates[r]!, await at(r));
    }
    for (let d = deadline(); d !== null && d > lastMs && d < instant; d = deadline()) {
      const before = state.state;
      apply(d, await src.valueAt(d));
      if (state.state === before) break;
    }
    apply(instant, value);
  };

  lastValue = await src.valueAt(fromMs);
  apply(fromMs, lastValue);
  series.push({ t: fromMs, value: lastValue, state: state.state });
  for (let b = (Math.floor(fromMs / stepMs) + 1) * stepMs; b <= toMs; b += stepMs) {
    const value = await src.valueBefore(b);
    await advance(b - 1, value);
    series.push({ t: b, value, state: state.state });
  }
  if (series[series.length - 1]!.t < toMs) {
    const value = await src.valueAt(toMs);
    await advance(toMs, value);
    series.push({ t: toMs, value, state: state.state });
  }
  return { series, transitions };
}
