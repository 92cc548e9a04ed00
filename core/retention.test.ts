import fc from 'fast-check';
import { AppError } from './errors';
import {
  MAX_PERIODS,
  nextPeriod,
  parseRetentionQuery,
  periodStart,
  retentionAnswer,
  retentionGrid,
  type RetentionCell,
} from './retention';
import { parseTimeZone, type TimeZone } from './timezone';

const H = 3_600_000;
const D = 24 * H;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'America/Santiago',
].map((z) => parseTimeZone(z));

/** Local date and time at `ms`, read from Intl (independent of core/timezone.ts's segments). */
function local(ms: number, zone: TimeZone) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    weekday: 'short',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(ms);
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    weekday: get('weekday'),
    time: `${get('hour')}:${get('minute')}`,
  };
}

describe('periods', () => {
  it('a week in Europe/Berlin starts Monday local midnight, and the DST weeks last 167 and 169 hours', () => {
    const berlin = parseTimeZone('Europe/Berlin');
    // 29 March 2026: 02:00 CET → 03:00 CEST; 25 October 2026: 03:00 CEST → 02:00 CET.
    expect(iso(periodStart(at('2026-03-29T12:00:00Z'), 'week', berlin))).toBe('2026-03-22T23:00:00.000Z');
    expect(iso(nextPeriod(at('2026-03-29T12:00:00Z'), 'week', berlin))).toBe('2026-03-29T22:00:00.000Z');
    expect(nextPeriod(at('2026-03-25T00:00:00Z'), 'week', berlin) - at('2026-03-22T23:00:00Z')).toBe(167 * H);
    expect(nextPeriod(at('2026-10-20T00:00:00Z'), 'week', berlin) - at('2026-10-18T22:00:00Z')).toBe(169 * H);
    // The instant of Monday's midnight is in the new week; one millisecond before is in the old one.
    expect(iso(periodStart(at('2026-03-29T22:00:00Z'), 'week', berlin))).toBe('2026-03-29T22:00:00.000Z');
    expect(iso(periodStart(at('2026-03-29T22:00:00Z') - 1, 'week', berlin))).toBe('2026-03-22T23:00:00.000Z');
    // Days on the DST dates last 23 and 25 hours.
    expect(
      nextPeriod(at('2026-03-29T00:00:00Z'), 'day', berlin) - periodStart(at('2026-03-29T00:00:00Z'), 'day', berlin),
    ).toBe(23 * H);
    expect(
      nextPeriod(at('2026-10-25T00:00:00Z'), 'day', berlin) - periodStart(at('2026-10-25T00:00:00Z'), 'day', berlin),
    ).toBe(25 * H);
  });

  it('Asia/Kathmandu (+05:45): days start at 18:15 UTC', () => {
    const ktm = parseTimeZone('Asia/Kathmandu');
    expect(iso(periodStart(at('2026-06-10T18:14:59.999Z'), 'day', ktm))).toBe('2026-06-09T18:15:00.000Z');
    expect(iso(periodStart(at('2026-06-10T18:15:00Z'), 'day', ktm))).toBe('2026-06-10T18:15:00.000Z');
    // 2026-06-15 is a Monday.
    expect(iso(periodStart(at('2026-06-17T00:00:00Z'), 'week', ktm))).toBe('2026-06-14T18:15:00.000Z');
  });

  it('every instant lies in [periodStart, nextPeriod), and period starts are local midnights (Mondays for weeks)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.constantFrom<'day' | 'week'>('day', 'week'),
        fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2030-01-01T00:00:00Z') }),
        (zone, period, t) => {
          const s = periodStart(t, period, zone);
          const n = nextPeriod(t, period, zone);
          expect(s).toBeLessThanOrEqual(t);
          expect(n).toBeGreaterThan(t);
          expect(nextPeriod(s, period, zone)).toBe(n);
          expect(periodStart(n, period, zone)).toBe(n);
          expect(periodStart(n - 1, period, zone)).toBe(s);
          // A local midnight, or the jump where midnight does not exist (America/Santiago starts DST at 00:00).
          const l = local(s, zone);
          expect(l.time === '00:00' || local(s - 1, zone).date !== l.date).toBe(true);
          expect(local(s - 1, zone).date).not.toBe(l.date);
          if (period === 'week') expect(l.weekday).toBe('Mon');
          const len = n - s;
          if (period === 'day') expect(len >= 22 * H && len <= 26 * H).toBe(true);
          else expect(len >= 7 * D - 2 * H && len <= 7 * D + 2 * H).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('the grid', () => {
  const berlin = parseTimeZone('Europe/Berlin');
  it('lists the cohort periods overlapping [from, to) and the period starts after them', () => {
    const g = retentionGrid(
      { period: 'day', periods: 3, fromMs: at('2026-03-28T12:00:00Z'), toMs: at('2026-03-29T22:00:00Z') },
      berlin,
    );
    expect(g.cohorts).toBe(2);
    expect(g.bounds.map(iso)).toEqual([
      '2026-03-27T23:00:00.000Z',
      '2026-03-28T23:00:00.000Z',
      '2026-03-29T22:00:00.000Z',
      '2026-03-30T22:00:00.000Z',
      '2026-03-31T22:00:00.000Z',
    ]);
  });

  it('refuses more cohorts than the limit', () => {
    expect(() =>
      retentionGrid(
        { period: 'week', periods: 1, fromMs: at('2026-01-01T00:00:00Z'), toMs: at('2026-12-01T00:00:00Z') },
        berlin,
      ),
    ).toThrow(/more than 26 weeks/);
  });
});

describe('the answer', () => {
  const zone = parseTimeZone('UTC');
  const grid = { cohorts: 2, bounds: [0, D, 2 * D, 3 * D] };
  it('adds the breakdown values up to the total, ranks them, and puts the rest in $other', () => {
    const cells: RetentionCell[] = [
      { cohort: 0, value: 'a', k: -1, persons: 3 },
      { cohort: 0, value: 'a', k: 0, persons: 2 },
      { cohort: 0, value: 'b', k: -1, persons: 3 },
      { cohort: 0, value: 'b', k: 1, persons: 1 },
      { cohort: 1, value: 'c', k: -1, persons: 1 },
      { cohort: 1, value: 'c', k: 0, persons: 1 },
      { cohort: 1, value: '$none', k: -1, persons: 4 },
      { cohort: 1, value: '$none', k: 1, persons: 2 },
    ];
    const a = retentionAnswer(
      { period: 'day', periods: 2, breakdown: { path: ['x'], limit: 1 } },
      zone,
      grid,
      cells,
      10 * D,
    );
    expect(a.cohorts).toEqual([
      { start: iso(0), size: 6, returned: [2, 1] },
      { start: iso(D), size: 5, returned: [1, 2] },
    ]);
    // a and b tie at 3 persons: 'a' first by bytes.
    expect(a.breakdown!.map((s) => s.value)).toEqual(['a', '$other', '$none']);
    expect(a.breakdown![1]!.cohorts).toEqual([
      { start: iso(0), size: 3, returned: [0, 1] },
      { start: iso(D), size: 1, returned: [1, 0] },
    ]);
  });

  it('leaves out the periods that have not begun', () => {
    const a = retentionAnswer({ period: 'day', periods: 2, breakdown: null }, zone, grid, [], D + 5);
    expect(a.cohorts.map((c) => c.returned)).toEqual([[0, 0], [0]]);
  });
});

describe('the body', () => {
  const now = at('2026-11-06T00:00:00Z');
  const retention = 90 * D;
  const ok = {
    start_event: 'signup',
    return_event: { event_type: 'login', filters: { plan: 'pro', 'geo.country': 'DE', n: 1.5, b: true } },
    period: 'week',
    periods: 8,
    from: '2026-09-07T00:00:00Z',
    to: at('2026-11-02T00:00:00Z'),
    breakdown: 'utm.source',
    limit: 5,
  };

  it('reads a good body', () => {
    expect(parseRetentionQuery(ok, now, retention)).toEqual({
      project: null,
      start: { eventType: 'signup', filters: [] },
      ret: {
        eventType: 'login',
        filters: [
          [['plan'], 'pro'],
          [['geo', 'country'], 'DE'],
          [['n'], '1.5'],
          [['b'], 'true'],
        ],
      },
      period: 'week',
      periods: 8,
      fromMs: at('2026-09-07T00:00:00Z'),
      toMs: at('2026-11-02T00:00:00Z'),
      breakdown: { path: ['utm', 'source'], limit: 5 },
    });
  });

  it.each([
    [{ ...ok, period: 'month' }, /give "day" or "week"/],
    [{ ...ok, periods: 27 }, /from 1 to 26/],
    [{ ...ok, period: 'day', periods: 91 }, /from 1 to 90/],
    [{ ...ok, periods: 0 }, /from 1 to 26/],
    [{ ...ok, from: '2026-01-01T00:00:00Z' }, /give from=2026-08-08T00:00:00.000Z or later/],
    [{ ...ok, from: ok.to }, /from must be earlier than to/],
    [{ ...ok, to: '2027-01-01T00:00:00Z' }, /more than 31 days ahead/],
    [{ ...ok, start_event: '' }, /start_event needs an event type/],
    [{ ...ok, return_event: { event_type: 'x', filter: {} } }, /return_event.filter is not a field/],
    [{ ...ok, return_event: { event_type: 'x', filters: { 'a..b': 1 } } }, /property name or a dotted path/],
    [{ ...ok, return_event: { event_type: 'x', filters: { a: null } } }, /give a string/],
    [{ ...ok, breakdown: undefined }, /limit applies to breakdowns/],
    [{ ...ok, limit: 101 }, /from 1 to 100/],
    [{ ...ok, extra: 1 }, /"extra" is not a field/],
    [[], /Send a JSON object/],
  ])('refuses bad body %# with how to fix it', (body, message) => {
    expect(() => parseRetentionQuery(body, now, retention)).toThrow(message);
  });

  it('any JSON body is parsed or refused as invalid input, never another error', () => {
    const field = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom('day', 'week', 'signup', '2026-10-01T00:00:00Z', 1, 26, 90, -1, 1e300, '', 'a.b', '$none'),
      fc.record(
        {
          event_type: fc.oneof(fc.string(), fc.jsonValue()),
          filters: fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue())),
        },
        { requiredKeys: [] },
      ),
      fc.integer({ min: now - 200 * D, max: now + 200 * D }),
    );
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          project: field,
          start_event: field,
          return_event: field,
          period: field,
          periods: field,
          from: field,
          to: field,
          breakdown: field,
          limit: field,
        },
        { requiredKeys: [] },
      ),
      fc.record({
        ...Object.fromEntries(Object.entries(ok).map(([k, v]) => [k, fc.constant(v)])),
        periods: field,
        from: field,
      }),
    );
    fc.assert(
      fc.property(body, fc.constantFrom(...ZONES), (b, zone) => {
        try {
          const q = parseRetentionQuery(b, now, retention);
          expect(q.periods).toBeGreaterThanOrEqual(1);
          expect(q.periods).toBeLessThanOrEqual(MAX_PERIODS[q.period]);
          const g = retentionGrid(q, zone);
          expect(g.bounds.length).toBe(g.cohorts + q.periods);
        } catch (e) {
          expect(e).toBeInstanceOf(AppError);
          expect((e as AppError).kind).toBe('invalid');
        }
      }),
      { numRuns: 3000 },
    );
  });
});
