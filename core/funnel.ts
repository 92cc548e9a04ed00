// Funnels (docs/api.md#funnels, docs/architecture.md#funnels): the path one person takes through the steps, and the
// tally of many persons' paths into per-step counts, conversion rates and times to convert. Pure: the adapter
// (adapters/postgres/funnel-reads.ts) streams each person's events in order and feeds them here, one person at a time.
//
// Time is in epoch microseconds (the precision Postgres stores), so equal timestamps stay equal and windows are exact.
import { NONE_SERIES, OTHER_SERIES, type SeriesValue } from './breakdown';

export const FUNNEL_MIN_STEPS = 2;
export const FUNNEL_MAX_STEPS = 20;
export const FUNNEL_MAX_EXCLUSIONS = 10;
export const FUNNEL_MIN_WINDOW_MS = 1_000;
export const FUNNEL_MAX_WINDOW_MS = 90 * 86_400_000;
/** The longest from..to range a funnel may cover (entries); later steps may come up to `window` after `to`. */
export const FUNNEL_MAX_RANGE_MS = 366 * 86_400_000;
export const FUNNEL_DEFAULT_BREAKDOWN_LIMIT = 25;
export const FUNNEL_MAX_BREAKDOWN_LIMIT = 100;
export const FUNNEL_ORDERS = ['ordered', 'strict', 'any'] as const;
export type FunnelOrder = (typeof FUNNEL_ORDERS)[number];

/** One event of a person, as the adapter streams it: ordered by (ts, event_id) within the person (the order is all
 * the engine needs of event_id). */
export interface FunnelEvent {
  /** Timestamp, epoch microseconds. */
  us: number;
  /** Bit k set: the event matches step k (0-based; type and filters). 0: no step (strict reads every event). */
  mask: number;
  /** Bit x set: the event matches exclusion x. */
  excl: number;
  /** The breakdown's series value on this event (core/breakdown.ts rules); '' without breakdown. */
  value: SeriesValue;
}

export interface FunnelExclusion {
  /** 0-based steps: an exclusion event strictly between the fromStep and toStep events removes the person. */
  fromStep: number;
  toStep: number;
}

export interface FunnelShape {
  steps: number;
  order: FunnelOrder;
  windowUs: number;
  /** Entries are events of the first step with fromUs <= ts < toUs. */
  fromUs: number;
  toUs: number;
  exclusions: readonly FunnelExclusion[];
}

/** The attempt a person is counted with. */
export interface FunnelPath {
  /** Steps reached, 1..steps (the entry is step 1). */
  reached: number;
  /** Timestamp (µs) of each reached step's event; for `any`, of the event that completed the k-th step. */
  times: number[];
  /** The breakdown value of the entry event (first touch). */
  value: SeriesValue;
}

/**
 * How far the attempt entering at event i gets: the positions (indexes) of the steps' events, and whether the window
 * ended it (else it ran out of events, or, in strict order, met an event that is not the next step).
 */
function attempt(events: readonly FunnelEvent[], i: number, shape: FunnelShape): { pos: number[]; cut: boolean } {
  const n = shape.steps;
  const limit = events[i]!.us + shape.windowUs;
  const pos = [i];
  let cut = false;
  if (shape.order === 'ordered') {
    // Greedy: each step's first matching event after the previous step's event reaches furthest (any later choice
    // leaves a subset of the candidates for the steps after it).
    for (let j = i + 1; j < events.length && pos.length < n; j++) {
      const e = events[j]!;
      if (e.us > limit) {
        cut = true;
        break;
      }
      if ((e.mask >>> pos.length) & 1) pos.push(j);
    }
  } else if (shape.order === 'strict') {
    // Every event of the person is streamed: the next step must be the very next event.
    for (let j = i + 1; j < events.length && pos.length < n; j++) {
      const e = events[j]!;
      if (e.us > limit) cut = true;
      if (e.us > limit || ((e.mask >>> pos.length) & 1) === 0) break;
      pos.push(j);
    }
  } else {
    // Any order: a maximum matching of events to distinct steps, grown event by event (an augmenting path from the new
    // event finds the prefix's maximum); pos[k] is the event at which k+1 steps were first matched.
    const owner: number[] = new Array<number>(n).fill(-1);
    const augment = (j: number, seen: boolean[]): boolean => {
      const mask = events[j]!.mask;
      for (let s = 0; s < n; s++) {
        if (((mask >>> s) & 1) === 0 || seen[s]) continue;
        seen[s] = true;
        if (owner[s] === -1 || augment(owner[s]!, seen)) {
          owner[s] = j;
          return true;
        }
      }
      return false;
    };
    augment(i, new Array<boolean>(n).fill(false));
    for (let j = i + 1; j < events.length && pos.length < n; j++) {
      const e = events[j]!;
      if (e.us > limit) {
        cut = true;
        break;
      }
      if (e.mask !== 0 && augment(j, new Array<boolean>(n).fill(false))) pos.push(j);
    }
  }
  return { pos, cut: cut || (shape.order === 'strict' && pos.length < n) };
}

/** Whether an exclusion event lies strictly between the attempt's fromStep and toStep events. */
function excluded(events: readonly FunnelEvent[], pos: readonly number[], shape: FunnelShape): boolean {
  return shape.exclusions.some((x, bit) => {
    if (pos.length <= x.toStep) return false;
    for (let j = pos[x.fromStep]! + 1; j < pos[x.toStep]!; j++) if ((events[j]!.excl >>> bit) & 1) return true;
    return false;
  });
}

/**
 * The attempt a person is counted with, or null when the person does not enter (no first-step event in [from, to))
 * or is excluded. Of the person's entries, the one that reaches furthest, the earliest on ties; exclusions are checked
 * on that attempt only (and remove the person from every step, as PostHog does).
 */
export function personPath(events: readonly FunnelEvent[], shape: FunnelShape): FunnelPath | null {
  let best: number[] | null = null;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.us < shape.fromUs) continue;
    if (e.us >= shape.toUs) break;
    const enters = shape.order === 'any' ? e.mask !== 0 : (e.mask & 1) === 1;
    if (!enters) continue;
    const { pos, cut } = attempt(events, i, shape);
    if (best === null || pos.length > best.length) best = pos;
    if (best.length === shape.steps) break;
    // In ordered and any order, an attempt the window did not end saw every later event: a later entry sees fewer
    // of them and cannot get further.
    if (!cut) break;
  }
  if (best === null || excluded(events, best, shape)) return null;
  return {
    reached: best.length,
    times: best.map((j) => events[j]!.us),
    value: events[best[0]!]!.value,
  };
}

/** Converted: reached the step. Dropped: reached the step before it but not this one (step >= 2). */
export function pathMatches(path: FunnelPath, step: number, status: 'converted' | 'dropped'): boolean {
  return status === 'converted' ? path.reached >= step : path.reached === step - 1;
}

class StepTally {
  counts: number[];
  /** Per step k >= 1: each converting person's time from step k-1 to step k, µs. */
  durations: number[][];
  constructor(steps: number) {
    this.counts = new Array<number>(steps).fill(0);
    this.durations = Array.from({ length: steps }, () => []);
  }
  add(path: FunnelPath): void {
    for (let k = 0; k < path.reached; k++) {
      this.counts[k]!++;
      if (k > 0) this.durations[k]!.push(path.times[k]! - path.times[k - 1]!);
    }
  }
  merge(other: StepTally): void {
    for (let k = 0; k < this.counts.length; k++) {
      this.counts[k]! += other.counts[k]!;
      for (const d of other.durations[k]!) this.durations[k]!.push(d);
    }
  }
}

export interface FunnelStepResult {
  step: number;
  count: number;
  /** count / first step's count (null when nobody entered). */
  conversion_from_first: number | null;
  /** count / previous step's count (null at step 1 or when the previous step has nobody). */
  conversion_from_previous: number | null;
  /** previous step's count - count (0 at step 1). */
  drop_off: number;
  /** Seconds from the previous step's event to this step's, over the persons who reached this step (ms precision). */
  median_seconds_to_convert: number | null;
  average_seconds_to_convert: number | null;
}

const seconds = (us: number) => Math.round(us / 1000) / 1000;

/** The median (the mean of the two middle values for an even count) and mean of durations in µs, as seconds. */
export function durationStats(durations: readonly number[]): { median: number | null; average: number | null } {
  if (durations.length === 0) return { median: null, average: null };
  // A typed array sorts numerically without a comparator call per pair: ~5× faster for a million durations.
  const sorted = Float64Array.from(durations).sort();
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  let sum = 0;
  for (const d of sorted) sum += d;
  return { median: seconds(median), average: seconds(sum / sorted.length) };
}

function stepResults(t: StepTally): FunnelStepResult[] {
  return t.counts.map((count, k) => {
    const first = t.counts[0]!;
    const prev = k === 0 ? null : t.counts[k - 1]!;
    const stats = k === 0 ? { median: null, average: null } : durationStats(t.durations[k]!);
    return {
      step: k + 1,
      count,
      conversion_from_first: first === 0 ? null : count / first,
      conversion_from_previous: k === 0 ? null : prev === 0 ? null : count / prev!,
      drop_off: prev === null ? 0 : prev - count,
      median_seconds_to_convert: stats.median,
      average_seconds_to_convert: stats.average,
    };
  });
}

export interface FunnelTallyResult {
  steps: FunnelStepResult[];
  /** With a breakdown: the top values by entered persons (ties by UTF-8 bytes), then $other and $none when non-empty. */
  breakdown: { value: SeriesValue; steps: FunnelStepResult[] }[] | null;
}

const byteCompare = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Persons' paths added one by one; memory: one duration per (person, step converted). */
export class FunnelTally {
  private readonly total: StepTally;
  private readonly byValue = new Map<SeriesValue, StepTally>();
  constructor(
    private readonly steps: number,
    private readonly breakdown: boolean,
  ) {
    this.total = new StepTally(steps);
  }

  add(path: FunnelPath): void {
    this.total.add(path);
    if (!this.breakdown) return;
    let t = this.byValue.get(path.value);
    if (!t) this.byValue.set(path.value, (t = new StepTally(this.steps)));
    t.add(path);
  }

  result(limit: number): FunnelTallyResult {
    if (!this.breakdown) return { steps: stepResults(this.total), breakdown: null };
    const ranked = [...this.byValue]
      .filter(([v]) => v !== NONE_SERIES)
      .sort(([a, x], [b, y]) => y.counts[0]! - x.counts[0]! || byteCompare(a, b));
    const shown = ranked.slice(0, limit);
    const out = shown.map(([value, t]) => ({ value, steps: stepResults(t) }));
    if (ranked.length > limit) {
      const other = new StepTally(this.steps);
      for (const [, t] of ranked.slice(limit)) other.merge(t);
      out.push({ value: OTHER_SERIES, steps: stepResults(other) });
    }
    const none = this.byValue.get(NONE_SERIES);
    if (none) out.push({ value: NONE_SERIES, steps: stepResults(none) });
    return { steps: stepResults(this.total), breakdown: out };
  }
}
