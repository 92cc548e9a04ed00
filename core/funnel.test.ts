// The funnel engine (core/funnel.ts) against the brute-force reference (test/funnel-reference.ts) on generated
// histories, person for person; and the hand-built signup → checkout history of docs/api.md#funnels.
import fc from 'fast-check';
import { FunnelTally, personPath, type FunnelEvent, type FunnelShape } from './funnel';
import {
  historyArb,
  referenceAnswer,
  referencePaths,
  type RefEvent,
  type RefQuery,
  type RefSpec,
} from '../test/funnel-reference';

const matches = (s: RefSpec, e: RefEvent) =>
  e.eventType === s.eventType && Object.entries(s.filters).every(([k, v]) => e.props[k] === v);
const mask = (specs: RefSpec[], e: RefEvent) => specs.reduce((m, s, k) => (matches(s, e) ? m | (1 << k) : m), 0);
const byteCmp = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** What the adapter does, in memory: the rows of each person in (ts, event_id) order, masks and breakdown value. */
function engine(events: RefEvent[], merges: ReadonlyMap<string, string>, q: RefQuery) {
  const shape: FunnelShape = {
    steps: q.steps.length,
    order: q.order,
    windowUs: q.windowMs * 1000,
    fromUs: q.fromMs * 1000,
    toUs: q.toMs * 1000,
    exclusions: q.exclusions.map((x) => ({ fromStep: x.fromStep - 1, toStep: x.toStep - 1 })),
  };
  const byPerson = new Map<string, FunnelEvent[]>();
  const sorted = [...events].sort((a, b) => a.ms - b.ms || byteCmp(a.eventId, b.eventId));
  for (const e of sorted) {
    const m = mask(q.steps, e);
    const x = mask(q.exclusions, e);
    if (q.order !== 'strict' && m === 0 && x === 0) continue;
    const person = merges.get(e.distinctId) ?? e.distinctId;
    const v = q.breakdown === null ? '' : e.props[q.breakdown];
    const value = q.breakdown === null ? '' : v === undefined ? '$none' : v.startsWith('$') ? `$${v}` : v;
    (byPerson.get(person) ?? byPerson.set(person, []).get(person)!).push({
      us: e.ms * 1000,
      mask: m,
      excl: x,
      value,
    });
  }
  const paths = new Map<string, { reached: number; times: number[]; value: string }>();
  const tally = new FunnelTally(q.steps.length, q.breakdown !== null);
  for (const [person, evs] of byPerson) {
    const path = personPath(evs, shape);
    if (!path) continue;
    tally.add(path);
    paths.set(person, { reached: path.reached, times: path.times.map((us) => us / 1000), value: path.value });
  }
  return { paths, answer: tally.result(q.breakdownLimit) };
}

/** Seconds compared to the millisecond (the answer rounds to ms). */
function close(actual: unknown, expected: unknown): void {
  const deep = (v: unknown, seconds = false): unknown =>
    Array.isArray(v)
      ? v.map((x) => deep(x, seconds))
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x, k.includes('seconds'))]))
        : seconds && typeof v === 'number'
          ? Math.round(v * 1000)
          : v;
  expect(deep(actual)).toEqual(deep(expected));
}

describe('funnel engine against the reference', () => {
  it('gives every person the same path and the same answer (all orders, merges, ties, edges, exclusions, breakdowns)', () => {
    fc.assert(
      fc.property(historyArb(Date.UTC(2026, 10, 1), 60_000), (h) => {
        const ref = referencePaths(h.events, h.merges, h.query);
        const got = engine(h.events, h.merges, h.query);
        expect(Object.fromEntries(got.paths)).toEqual(Object.fromEntries(ref));
        const expected = referenceAnswer(ref, h.query);
        close(got.answer.steps, expected.steps);
        close(got.answer.breakdown, expected.breakdown_values);
        if (got.answer.breakdown) {
          // First touch: the values' counts add up to the funnel's, step by step.
          for (let k = 0; k < h.query.steps.length; k++)
            expect(got.answer.breakdown.reduce((a, b) => a + b.steps[k]!.count, 0)).toBe(got.answer.steps[k]!.count);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('hand-built: signup → checkout', () => {
  const T = Date.UTC(2026, 10, 2, 9);
  const MIN = 60_000;
  const ev = (distinctId: string, eventType: string, minutes: number, id: string, props: Record<string, string> = {}) =>
    ({ distinctId, eventId: id, eventType, ms: T + minutes * MIN, props }) satisfies RefEvent;
  // anna: signup, view, checkout 30 min later. ben: signup then view, no checkout. anon-c merged into carl: the
  // anonymous signup and carl's checkout (after 2 h) are one person. dora: checkout before signup (not in order).
  const events = [
    ev('anna', 'signup', 0, 'e01', { country: 'fr' }),
    ev('anna', 'view_pricing', 10, 'e02'),
    ev('anna', 'checkout', 30, 'e03'),
    ev('ben', 'signup', 5, 'e04', { country: 'de' }),
    ev('ben', 'view_pricing', 20, 'e05'),
    ev('anon-c', 'signup', 60, 'e06', { country: 'fr' }),
    ev('anon-c', 'view_pricing', 90, 'e07'),
    ev('carl', 'login', 120, 'e12'),
    ev('carl', 'checkout', 180, 'e08'),
    ev('dora', 'checkout', 0, 'e09'),
    ev('dora', 'signup', 15, 'e10'),
  ];
  const merges = new Map([['anon-c', 'carl']]);
  const q: RefQuery = {
    steps: [
      { eventType: 'signup', filters: {} },
      { eventType: 'view_pricing', filters: {} },
      { eventType: 'checkout', filters: {} },
    ],
    exclusions: [],
    order: 'ordered',
    windowMs: 86_400_000,
    fromMs: T,
    toMs: T + 86_400_000,
    breakdown: null,
    breakdownLimit: 25,
  };

  it('counts persons per step with conversion, drop-off and times', () => {
    const { answer, paths } = engine(events, merges, q);
    expect([...paths.keys()].sort()).toEqual(['anna', 'ben', 'carl', 'dora']);
    expect(answer.steps).toEqual([
      {
        step: 1,
        count: 4,
        conversion_from_first: 1,
        conversion_from_previous: null,
        drop_off: 0,
        median_seconds_to_convert: null,
        average_seconds_to_convert: null,
      },
      {
        step: 2,
        count: 3,
        conversion_from_first: 0.75,
        conversion_from_previous: 0.75,
        drop_off: 1,
        median_seconds_to_convert: 900, // anna 10 min, ben 15 min, carl 30 min
        average_seconds_to_convert: 1100,
      },
      {
        step: 3,
        count: 2,
        conversion_from_first: 0.5,
        conversion_from_previous: 2 / 3,
        drop_off: 1,
        median_seconds_to_convert: 3300, // anna 20 min, carl 90 min
        average_seconds_to_convert: 3300,
      },
    ]);
  });

  it('with a 1h window carl drops at checkout; in strict order his login between the steps drops him too', () => {
    expect(engine(events, merges, { ...q, windowMs: 3_600_000 }).answer.steps.map((s) => s.count)).toEqual([4, 3, 1]);
    expect(engine(events, merges, { ...q, order: 'strict' }).answer.steps.map((s) => s.count)).toEqual([4, 3, 1]);
    // Any order: dora's checkout then signup completes 2 steps.
    expect(engine(events, merges, { ...q, order: 'any' }).answer.steps.map((s) => s.count)).toEqual([4, 4, 2]);
  });

  it('breaks down by the entry event (first touch) and the values add up', () => {
    const { answer } = engine(events, merges, { ...q, breakdown: 'country' });
    expect(answer.breakdown!.map((b) => [b.value, b.steps.map((s) => s.count)])).toEqual([
      ['fr', [2, 2, 2]],
      ['de', [1, 1, 0]],
      ['$none', [1, 0, 0]],
    ]);
  });

  it('an exclusion between steps removes the person', () => {
    const withRefund = [...events, ev('anna', 'refund', 15, 'e11')];
    const x = { eventType: 'refund', filters: {}, fromStep: 2, toStep: 3 };
    const { paths } = engine(withRefund, merges, { ...q, exclusions: [x] });
    expect([...paths.keys()].sort()).toEqual(['ben', 'carl', 'dora']);
  });
});
