// A deliberately simple funnel REFERENCE (docs/api.md#funnels), brute force over each person's events, and the
// generator of event histories the funnel tests share (core/funnel.test.ts, functions/query/funnels.integration.test.ts).
// Nothing here is shared with the engine (core/funnel.ts) but the definitions in the docs.
import fc from 'fast-check';

export interface RefEvent {
  /** The distinct id the event names (events.user_id). */
  distinctId: string;
  eventId: string;
  eventType: string;
  /** Epoch ms (what ingest stores). */
  ms: number;
  props: Record<string, string>;
}

export interface RefSpec {
  eventType: string;
  filters: Record<string, string>;
}

export interface RefQuery {
  steps: RefSpec[];
  exclusions: (RefSpec & { fromStep: number; toStep: number })[]; // 1-based step numbers
  order: 'ordered' | 'strict' | 'any';
  windowMs: number;
  fromMs: number;
  toMs: number;
  breakdown: string | null;
  breakdownLimit: number;
}

export interface RefPath {
  reached: number;
  /** ms of each reached step's event. */
  times: number[];
  value: string;
}

const specMatches = (s: RefSpec, e: RefEvent) =>
  e.eventType === s.eventType && Object.entries(s.filters).every(([k, v]) => e.props[k] === v);

/** Series value of a string property (the only kind the generator makes): absent → $none, '$x' → '$$x'. */
const seriesValue = (v: string | undefined) => (v === undefined ? '$none' : v.startsWith('$') ? `$${v}` : v);

const byteCmp = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
const eventOrder = (a: RefEvent, b: RefEvent) => a.ms - b.ms || byteCmp(a.eventId, b.eventId);

/** Brute force: every increasing index sequence from i matching steps 0.., lexicographically first of the longest. */
function orderedAttempt(ev: RefEvent[], i: number, q: RefQuery, strict: boolean): number[] {
  const limit = ev[i]!.ms + q.windowMs;
  let best: number[] = [i];
  const walk = (seq: number[]) => {
    if (seq.length > best.length) best = [...seq];
    if (seq.length === q.steps.length) return;
    const last = seq[seq.length - 1]!;
    for (let j = last + 1; j < ev.length; j++) {
      if (strict && j !== last + 1) break;
      if (ev[j]!.ms > limit) break;
      if (specMatches(q.steps[seq.length]!, ev[j]!)) walk([...seq, j]);
    }
  };
  walk([i]);
  return best;
}

/** The largest number of distinct steps matched to distinct events among `idx` (all assignments tried). */
function maxAssign(ev: RefEvent[], idx: number[], steps: RefSpec[]): number {
  const go = (s: number, used: Set<number>): number => {
    if (s === steps.length) return 0;
    let best = go(s + 1, used);
    for (const j of idx) {
      if (used.has(j) || !specMatches(steps[s]!, ev[j]!)) continue;
      used.add(j);
      best = Math.max(best, 1 + go(s + 1, used));
      used.delete(j);
    }
    return best;
  };
  return go(0, new Set());
}

/** Any order from entry i: pos[k] = the first event by which k+1 distinct steps can be matched within the window. */
function anyAttempt(ev: RefEvent[], i: number, q: RefQuery): number[] {
  const limit = ev[i]!.ms + q.windowMs;
  const pos = [i];
  const idx = [i];
  for (let j = i + 1; j < ev.length && ev[j]!.ms <= limit; j++) {
    idx.push(j);
    if (maxAssign(ev, idx, q.steps) > pos.length) pos.push(j);
  }
  return pos;
}

/** A person's counted attempt, or null (no entry, or excluded). */
export function referencePath(personEvents: RefEvent[], q: RefQuery): RefPath | null {
  const ev = [...personEvents].sort(eventOrder);
  const relevant =
    q.order === 'strict'
      ? ev
      : ev.filter((e) => [...q.steps, ...q.exclusions].some((s) => s.eventType === e.eventType));
  let best: number[] | null = null;
  relevant.forEach((e, i) => {
    if (e.ms < q.fromMs || e.ms >= q.toMs) return;
    const enters = q.order === 'any' ? q.steps.some((s) => specMatches(s, e)) : specMatches(q.steps[0]!, e);
    if (!enters) return;
    const pos = q.order === 'any' ? anyAttempt(relevant, i, q) : orderedAttempt(relevant, i, q, q.order === 'strict');
    if (best === null || pos.length > best.length) best = pos;
  });
  if (best === null) return null;
  const pos: number[] = best;
  for (const x of q.exclusions) {
    if (pos.length < x.toStep) continue;
    for (let j = pos[x.fromStep - 1]! + 1; j < pos[x.toStep - 1]!; j++) if (specMatches(x, relevant[j]!)) return null;
  }
  return {
    reached: pos.length,
    times: pos.map((j) => relevant[j]!.ms),
    value: q.breakdown === null ? '' : seriesValue(relevant[pos[0]!]!.props[q.breakdown]),
  };
}

/** Events grouped by person: `personOf` maps a distinct id to its person (merges); unmapped ids are their own. */
export function referencePaths(
  events: RefEvent[],
  personOf: ReadonlyMap<string, string>,
  q: RefQuery,
): Map<string, RefPath> {
  const byPerson = new Map<string, RefEvent[]>();
  for (const e of events) {
    const p = personOf.get(e.distinctId) ?? e.distinctId;
    (byPerson.get(p) ?? byPerson.set(p, []).get(p)!).push(e);
  }
  const out = new Map<string, RefPath>();
  for (const [p, evs] of byPerson) {
    const path = referencePath(evs, q);
    if (path) out.set(p, path);
  }
  return out;
}

export interface RefStep {
  step: number;
  count: number;
  conversion_from_first: number | null;
  conversion_from_previous: number | null;
  drop_off: number;
  median_seconds_to_convert: number | null;
  average_seconds_to_convert: number | null;
}

function refSteps(paths: RefPath[], n: number): RefStep[] {
  const out: RefStep[] = [];
  for (let k = 1; k <= n; k++) {
    const at = paths.filter((p) => p.reached >= k);
    const first = paths.length;
    const prev = k === 1 ? null : paths.filter((p) => p.reached >= k - 1).length;
    const secs = k === 1 ? [] : at.map((p) => (p.times[k - 1]! - p.times[k - 2]!) / 1000).sort((a, b) => a - b);
    const median =
      secs.length === 0
        ? null
        : secs.length % 2 === 1
          ? secs[(secs.length - 1) / 2]!
          : (secs[secs.length / 2 - 1]! + secs[secs.length / 2]!) / 2;
    out.push({
      step: k,
      count: at.length,
      conversion_from_first: first === 0 ? null : at.length / first,
      conversion_from_previous: prev === null || prev === 0 ? null : at.length / prev,
      drop_off: prev === null ? 0 : prev - at.length,
      median_seconds_to_convert: median,
      average_seconds_to_convert: secs.length === 0 ? null : secs.reduce((a, b) => a + b, 0) / secs.length,
    });
  }
  return out;
}

/** The answer's steps and breakdown values, from the persons' paths. */
export function referenceAnswer(paths: Map<string, RefPath>, q: RefQuery) {
  const all = [...paths.values()];
  const steps = refSteps(all, q.steps.length);
  if (q.breakdown === null) return { steps, breakdown_values: null };
  const values = new Map<string, RefPath[]>();
  for (const p of all) (values.get(p.value) ?? values.set(p.value, []).get(p.value)!).push(p);
  const ranked = [...values.keys()]
    .filter((v) => v !== '$none')
    .sort((a, b) => values.get(b)!.length - values.get(a)!.length || byteCmp(a, b));
  const shown = ranked.slice(0, q.breakdownLimit);
  const rest = ranked.slice(q.breakdownLimit).flatMap((v) => values.get(v)!);
  const out = shown.map((v) => ({ value: v, steps: refSteps(values.get(v)!, q.steps.length) }));
  if (rest.length > 0) out.push({ value: '$other', steps: refSteps(rest, q.steps.length) });
  if (values.has('$none')) out.push({ value: '$none', steps: refSteps(values.get('$none')!, q.steps.length) });
  return { steps, breakdown_values: out };
}

// ── generated histories ──

export const TYPES = ['a', 'b', 'c', 'x'] as const;

export interface History {
  events: RefEvent[];
  /** distinct id → person id, for merged ids only. */
  merges: Map<string, string>;
  query: RefQuery;
}

/**
 * Histories on a coarse time grid (so equal timestamps, window edges and range edges are common): up to 6 persons of
 * 1–3 distinct ids each (merged ids share a person), events of a few types with a `plan` and a `country` property.
 */
export function historyArb(baseMs: number, unitMs: number): fc.Arbitrary<History> {
  const spec = fc.record({
    eventType: fc.constantFrom(...TYPES),
    filters: fc.oneof(
      { weight: 3, arbitrary: fc.constant({}) },
      { weight: 1, arbitrary: fc.constantFrom({ plan: 'pro' }, { plan: 'free' }) },
    ),
  });
  const event = (ids: string[]) =>
    fc.record({
      distinctId: fc.constantFrom(...ids),
      eventId: fc.stringMatching(/^[a-f0-9]{6}$/),
      eventType: fc.constantFrom(...TYPES, 'other'),
      ms: fc.integer({ min: -1, max: 12 }).map((k) => baseMs + k * unitMs),
      props: fc.record(
        {
          plan: fc.constantFrom('pro', 'free'),
          country: fc.constantFrom('fr', 'de', '$x', 'ünï', 'NULL', 'a,b', 'q"u\\o{}'),
        },
        { requiredKeys: [] },
      ),
    });
  const persons = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 6 });
  return persons.chain((sizes) => {
    // Person names whose byte order differs from a locale's ('Z' < 'a' < 'ü' in UTF-8): pages go by bytes.
    const name = (p: number, k: number) => `${['a', 'Z', 'ü'][p % 3]}${p}-id${k}`;
    const ids = sizes.flatMap((n, p) => Array.from({ length: n }, (_, k) => name(p, k)));
    const merges = new Map<string, string>();
    sizes.forEach((n, p) => {
      for (let k = 1; k < n; k++) merges.set(name(p, k), name(p, 0));
    });
    return fc
      .record({
        events: fc.uniqueArray(event(ids), { maxLength: 30, selector: (e) => e.eventId }),
        steps: fc.array(spec, { minLength: 2, maxLength: 4 }),
        exclusions: fc.array(spec, { maxLength: 1 }),
        exclusionSteps: fc.integer({ min: 1, max: 3 }),
        order: fc.constantFrom('ordered' as const, 'strict' as const, 'any' as const),
        window: fc.integer({ min: 1, max: 6 }),
        from: fc.integer({ min: 0, max: 4 }),
        span: fc.integer({ min: 1, max: 10 }),
        breakdown: fc.constantFrom(null, 'country', 'plan'),
        breakdownLimit: fc.integer({ min: 1, max: 3 }),
      })
      .map((r) => {
        const lastStep = r.steps.length;
        const from = Math.min(r.exclusionSteps, lastStep - 1);
        return {
          events: r.events,
          merges,
          query: {
            steps: r.steps,
            exclusions: r.exclusions.map((x) => ({ ...x, fromStep: from, toStep: from + 1 })),
            order: r.order,
            windowMs: r.window * unitMs,
            fromMs: baseMs + r.from * unitMs,
            toMs: baseMs + (r.from + r.span) * unitMs,
            breakdown: r.breakdown,
            breakdownLimit: r.breakdownLimit,
          },
        };
      });
  });
}
