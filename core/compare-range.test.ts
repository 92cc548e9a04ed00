import fc from 'fast-check';
import { parseCompare, previousRange } from './compare-range';
import { bucketCount, bucketRange, bucketStart, INTERVAL_MS, INTERVALS } from './intervals';
import { checkRawReach, metricRange } from './metric-query';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 5);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string) => Date.parse(iso);

describe('parseCompare', () => {
  it('takes previous, and nothing (no comparison)', () => {
    expect(parseCompare('previous')).toBe('previous');
    expect(parseCompare(null)).toBeNull();
  });

  it.each(['', 'prev', 'Previous', 'year', 'previous,previous'])(
    'refuses %j with a message that names the fix',
    (v) => {
      expect(() => parseCompare(v)).toThrow(
        expect.objectContaining({
          kind: 'invalid',
          code: 'invalid_parameter',
          message: expect.stringMatching(/use compare=previous/),
        }),
      );
    },
  );
});

describe('previousRange', () => {
  // Aligned: [from − (to − from), from). Not aligned: as many whole buckets, ending where the first bucket starts
  // (e.g. 1m [10:00:30, 10:01:30) has the buckets [10:00, 10:02), so the previous range is [09:58, 10:00)).
  it.each([
    // interval, from, to, previous from, previous to
    ['10s', '2026-11-27T10:00:00Z', '2026-11-27T10:01:00Z', '2026-11-27T09:59:00Z', '2026-11-27T10:00:00Z'],
    ['1m', '2026-11-27T10:00:00Z', '2026-11-27T11:00:00Z', '2026-11-27T09:00:00Z', '2026-11-27T10:00:00Z'],
    ['5m', '2026-11-27T10:00:00Z', '2026-11-27T10:15:00Z', '2026-11-27T09:45:00Z', '2026-11-27T10:00:00Z'],
    ['1h', '2026-11-27T00:00:00Z', '2026-11-28T00:00:00Z', '2026-11-26T00:00:00Z', '2026-11-27T00:00:00Z'],
    ['1d', '2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z', '2026-10-02T00:00:00Z', '2026-11-01T00:00:00Z'],
    ['1m', '2026-11-27T10:00:30Z', '2026-11-27T10:01:30Z', '2026-11-27T09:58:00Z', '2026-11-27T10:00:00Z'],
    ['10s', '2026-11-27T10:00:05Z', '2026-11-27T10:00:06Z', '2026-11-27T09:59:50Z', '2026-11-27T10:00:00Z'],
    ['5m', '2026-11-27T10:03:00Z', '2026-11-27T10:11:00Z', '2026-11-27T09:45:00Z', '2026-11-27T10:00:00Z'],
    ['1h', '2026-11-27T10:59:59.999Z', '2026-11-27T11:00:00.001Z', '2026-11-27T08:00:00Z', '2026-11-27T10:00:00Z'],
    ['1d', '2026-11-27T12:00:00Z', '2026-11-28T12:00:00Z', '2026-11-25T00:00:00Z', '2026-11-27T00:00:00Z'],
  ] as const)('%s [%s, %s): previous [%s, %s)', (interval, from, to, pFrom, pTo) => {
    expect(previousRange({ fromMs: at(from), toMs: at(to), interval })).toEqual({ fromMs: at(pFrom), toMs: at(pTo) });
  });

  it('has as many buckets as the main range, aligned the same way, immediately before it (any interval and range)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...INTERVALS),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 1, max: 2_000 }),
        (interval, fromMs, n) => {
          const toMs = fromMs + n * 7_919; // a length unrelated to any interval
          const prev = previousRange({ fromMs, toMs, interval });
          const main = bucketRange(fromMs, toMs, interval);
          const before = bucketRange(prev.fromMs, prev.toMs, interval);
          expect(before).toHaveLength(main.length);
          expect(bucketCount(prev.fromMs, prev.toMs, interval)).toBe(main.length);
          expect(bucketStart(prev.fromMs, interval)).toBe(prev.fromMs);
          expect(prev.toMs).toBe(main[0]);
          expect(before.map((t) => t + main.length * INTERVAL_MS[interval])).toEqual(main);
        },
      ),
    );
  });
});

describe('range limits with compare=previous', () => {
  it('refuses 10s when the previous range reaches past the last 24 h, and says why', () => {
    const q = { fromMs: NOW - 13 * HOUR, toMs: NOW, interval: '10s' as const };
    expect(metricRange(q, NOW)).toEqual({ fromMs: q.fromMs, toMs: NOW });
    expect(() => metricRange({ ...q, compare: 'previous' }, NOW)).toThrow(
      expect.objectContaining({ code: 'invalid_parameter', message: expect.stringMatching(/24 h.*compare=previous/) }),
    );
    expect(metricRange({ ...q, fromMs: NOW - 11 * HOUR, compare: 'previous' }, NOW).fromMs).toBe(NOW - 11 * HOUR);
  });
});

describe('checkRawReach', () => {
  const RETENTION = 30 * DAY;
  const base = { toMs: NOW, interval: '1h' as const, path: null, props: [] as [string[], string][] };
  const filtered = { ...base, props: [[['plan'], 'pro']] as [string[], string][] };

  it('lets rollup reads (no filter, top-level path) reach any range', () => {
    expect(() => checkRawReach({ ...base, fromMs: NOW - 400 * DAY }, RETENTION, NOW)).not.toThrow();
    expect(() => checkRawReach({ ...base, path: ['amount'], fromMs: NOW - 400 * DAY }, RETENTION, NOW)).not.toThrow();
  });

  it('lets raw reads reach back to the first whole bucket at or after now − retention', () => {
    const oldest = NOW - RETENTION;
    const firstWhole = Math.ceil(oldest / HOUR) * HOUR;
    expect(() => checkRawReach({ ...filtered, fromMs: firstWhole }, RETENTION, NOW)).not.toThrow();
    expect(() => checkRawReach({ ...base, path: ['a', 'b'], fromMs: firstWhole + 1 }, RETENTION, NOW)).not.toThrow();
  });

  it('refuses raw reads whose first bucket starts before now − retention, naming the earliest from that works', () => {
    const oldest = NOW - RETENTION;
    const firstWhole = Math.ceil(oldest / HOUR) * HOUR;
    // from inside the bucket that straddles the cutoff: the bucket's start is before it, so its events may be gone.
    expect(() => checkRawReach({ ...filtered, fromMs: firstWhole - 1 }, RETENTION, NOW)).toThrow(
      expect.objectContaining({
        kind: 'invalid',
        code: 'beyond_retention',
        message: expect.stringContaining(`from=${new Date(firstWhole).toISOString()} or later`),
      }),
    );
  });

  it('checks the previous range with compare=previous, and names the main from that keeps it inside', () => {
    const firstWhole = Math.ceil((NOW - RETENTION) / HOUR) * HOUR;
    const fromMs = firstWhole + 10 * HOUR;
    const q = { ...filtered, fromMs, toMs: fromMs + 11 * HOUR, compare: 'previous' as const };
    expect(() => checkRawReach({ ...q, compare: null }, RETENTION, NOW)).not.toThrow();
    expect(() => checkRawReach(q, RETENTION, NOW)).toThrow(
      expect.objectContaining({
        code: 'beyond_retention',
        message: expect.stringContaining(`from=${new Date(firstWhole + 11 * HOUR).toISOString()} or later`),
      }),
    );
    expect(() =>
      checkRawReach({ ...q, fromMs: firstWhole + 11 * HOUR, toMs: firstWhole + 22 * HOUR }, RETENTION, NOW),
    ).not.toThrow();
  });
});
