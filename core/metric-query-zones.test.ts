// GET /v1/metrics in a tenant's zone (docs/api.md#time-zones), pure: the range checks, the points and their zero
// filling, compare=previous over DST days and the raw-reach refusal all count local hours and days.
import { previousRange } from './compare-range';
import {
  checkRawReach,
  metricPoints,
  metricRange,
  type MetricReader,
  type MetricSeries,
  type MetricsQuery,
} from './metric-query';
import { parseTimeZone, UTC_ZONE } from './timezone';
import { AppError } from './errors';

const H = 3_600_000;
const D = 24 * H;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const BERLIN = parseTimeZone('Europe/Berlin');
const NEW_YORK = parseTimeZone('America/New_York');
const KOLKATA = parseTimeZone('Asia/Kolkata');
const KATHMANDU = parseTimeZone('Asia/Kathmandu');
const NOW = at('2026-11-06T00:00:00Z');

const query = (over: Partial<MetricsQuery>): MetricsQuery => ({
  eventType: 'signup',
  metric: 'count',
  kind: 'count',
  path: null,
  interval: '1d',
  fromMs: 0,
  toMs: 1,
  project: null,
  props: [],
  ...over,
});

async function points(q: MetricsQuery, values: [number, number][] = []) {
  const asked: MetricSeries[] = [];
  const r: MetricReader = {
    values: async (s) => {
      asked.push(s);
      return new Map(values);
    },
  };
  return { points: await metricPoints(r, q, 't1', ['p1']), asked };
}

describe('metricPoints in a zone', () => {
  it('Berlin days: local midnights, 23 and 25 hours long, zero-filled, the span to the end of the last day', async () => {
    const q = query({ fromMs: at('2026-03-28T12:00:00Z'), toMs: at('2026-03-30T01:00:00Z'), zone: BERLIN });
    const { points: p, asked } = await points(q, [[at('2026-03-28T23:00:00Z'), 5]]);
    expect(p.map((x) => [iso(x.t), x.value])).toEqual([
      ['2026-03-27T23:00:00.000Z', 0],
      ['2026-03-28T23:00:00.000Z', 5],
      ['2026-03-29T22:00:00.000Z', 0],
    ]);
    expect(asked[0]).toMatchObject({
      zone: BERLIN,
      fromMs: at('2026-03-27T23:00:00Z'),
      toMs: at('2026-03-30T22:00:00Z'),
    });
    const fall = await points(
      query({ fromMs: at('2026-10-25T00:00:00Z'), toMs: at('2026-10-26T00:00:00Z'), zone: BERLIN }),
    );
    expect(fall.points.map((x) => iso(x.t))).toEqual(['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
  });

  it('New York: the repeated hour is two buckets, the skipped one none', async () => {
    const fall = await points(
      query({ interval: '1h', fromMs: at('2026-11-01T04:00:00Z'), toMs: at('2026-11-01T08:00:00Z'), zone: NEW_YORK }),
    );
    // Local 00:00 EDT, 01:00 EDT, 01:00 EST, 02:00 EST: in UTC, hours as always (a whole-hour offset).
    expect(fall.points.map((x) => iso(x.t).slice(11, 16))).toEqual(['04:00', '05:00', '06:00', '07:00']);
    const spring = await points(
      query({ interval: '1h', fromMs: at('2026-03-08T06:00:00Z'), toMs: at('2026-03-08T08:00:00Z'), zone: NEW_YORK }),
    );
    expect(spring.points.map((x) => iso(x.t).slice(11, 16))).toEqual(['06:00', '07:00']); // 01:00 EST, 03:00 EDT
  });

  it('Kolkata hours start at UTC :30, Kathmandu hours at :15; 5m stays epoch-aligned', async () => {
    const range = { interval: '1h' as const, fromMs: at('2026-10-25T00:00:00Z'), toMs: at('2026-10-25T02:00:00Z') };
    const k = await points(query({ ...range, zone: KOLKATA }));
    expect(k.points.map((x) => iso(x.t).slice(11, 16))).toEqual(['23:30', '00:30', '01:30']);
    const n = await points(query({ ...range, zone: KATHMANDU }));
    expect(n.points.map((x) => iso(x.t).slice(11, 16))).toEqual(['23:15', '00:15', '01:15']);
    const five = await points(query({ ...range, interval: '5m', zone: KATHMANDU }));
    expect(five.points).toHaveLength(24);
    expect(five.points.every((x) => x.t % (5 * 60_000) === 0)).toBe(true);
  });

  it('in UTC, exactly the epoch-aligned buckets', async () => {
    const q = query({ interval: '1d', fromMs: at('2026-10-24T05:00:00Z'), toMs: at('2026-10-26T00:00:00Z') });
    const a = await points({ ...q, zone: UTC_ZONE });
    const b = await points(q);
    expect(a.points).toEqual(b.points);
    expect(a.points.map((x) => iso(x.t))).toEqual(['2026-10-24T00:00:00.000Z', '2026-10-25T00:00:00.000Z']);
  });
});

describe('compare=previous in a zone', () => {
  it('the previous range of n local days is the n local days before, 25-hour day included', () => {
    // The week from Monday 26 October (Berlin): the previous week holds Sunday 25 October, 25 hours long.
    const prev = previousRange({
      fromMs: at('2026-10-25T23:00:00Z'),
      toMs: at('2026-11-01T23:00:00Z'),
      interval: '1d',
      zone: BERLIN,
    });
    expect([iso(prev.fromMs), iso(prev.toMs)]).toEqual(['2026-10-18T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
    expect(prev.toMs - prev.fromMs).toBe(7 * D + H);
    // New York's spring week: 7 local days, one of 23 hours.
    const ny = previousRange({
      fromMs: at('2026-03-15T04:00:00Z'),
      toMs: at('2026-03-22T04:00:00Z'),
      interval: '1d',
      zone: NEW_YORK,
    });
    expect([iso(ny.fromMs), ny.toMs - ny.fromMs]).toEqual(['2026-03-08T05:00:00.000Z', 7 * D - H]);
  });

  it('hours: as many local hours before (the repeated hour counts twice)', () => {
    const prev = previousRange({
      fromMs: at('2026-11-01T08:00:00Z'),
      toMs: at('2026-11-01T10:00:00Z'),
      interval: '1h',
      zone: NEW_YORK,
    });
    expect([iso(prev.fromMs), iso(prev.toMs)]).toEqual(['2026-11-01T06:00:00.000Z', '2026-11-01T08:00:00.000Z']);
    const k = previousRange({
      fromMs: at('2026-10-25T00:40:00Z'),
      toMs: at('2026-10-25T01:00:00Z'),
      interval: '1h',
      zone: KOLKATA,
    });
    expect([iso(k.fromMs), iso(k.toMs)]).toEqual(['2026-10-24T23:30:00.000Z', '2026-10-25T00:30:00.000Z']);
  });
});

describe('range checks in a zone', () => {
  it('counts local buckets for MAX_BUCKETS, and refuses far ranges before counting', () => {
    // 10 000 Kolkata hours fit; one more does not.
    const from = at('2026-01-01T00:30:00Z');
    expect(() =>
      metricRange({ fromMs: from, toMs: from + 10_000 * H, interval: '1h', zone: KOLKATA }, NOW),
    ).not.toThrow();
    expect(() =>
      metricRange({ fromMs: from, toMs: from + 10_000 * H + 1, interval: '1h', zone: KOLKATA }, NOW),
    ).toThrow(/holds 10001 buckets of 1h; the maximum is 10000/);
    expect(() =>
      metricRange({ fromMs: at('1200-01-01T00:00:00Z'), toMs: NOW, interval: '1h', zone: BERLIN }, NOW),
    ).toThrow(/buckets of 1h/);
    // Years the tz rules do not cover: a 400 that says what to give, never a RangeError.
    for (const [fromMs, toMs] of [
      [at('0500-01-01T00:00:00Z'), at('0500-01-03T00:00:00Z')],
      [at('9999-12-01T00:00:00Z'), at('9999-12-03T00:00:00Z')],
    ] as const) {
      const err = (() => {
        try {
          metricRange({ fromMs, toMs, interval: '1d', zone: BERLIN, compare: 'previous' }, NOW);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).message).toMatch(
        /give from and to between 1100-01-01 and 9990-01-01, or use 5m or smaller/,
      );
    }
    // The same years in UTC, or at 5m in a zone, are as before.
    expect(() =>
      metricRange({ fromMs: at('0500-01-01T00:00:00Z'), toMs: at('0500-01-03T00:00:00Z'), interval: '1d' }, NOW),
    ).not.toThrow();
  });

  it('the raw-reach refusal names a local bucket start', () => {
    const retentionMs = 30 * D;
    const q = { props: [[['a'], 'b']] as [string[], string][], path: null, interval: '1d' as const, zone: BERLIN };
    const oldestKept = NOW - retentionMs;
    let message = '';
    try {
      checkRawReach({ ...q, fromMs: oldestKept - 3 * D, toMs: NOW }, retentionMs, NOW);
    } catch (e) {
      message = (e as Error).message;
    }
    // The first Berlin midnight at or after the oldest kept instant (7 October 2026 00:00 UTC → 7 October 22:00 UTC).
    expect(message).toContain('Give from=2026-10-07T22:00:00.000Z or later');
    expect(() =>
      checkRawReach({ ...q, fromMs: at('2026-10-07T22:00:00Z'), toMs: NOW }, retentionMs, NOW),
    ).not.toThrow();
  });
});
