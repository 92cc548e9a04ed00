import { planRebuild, RebuildRangeError } from './rebuild-plan';
import { TEN_SECOND_KEEP_MS } from './rollups';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const now = Date.parse('2026-03-10T15:20:00Z');
const base = { nowMs: now, retentionMs: 30 * DAY, maxFutureSkewMs: HOUR };

describe('planRebuild', () => {
  it('widens the range to whole UTC days of 24 hours each', () => {
    const plan = planRebuild({
      ...base,
      fromMs: Date.parse('2026-03-08T13:00:00Z'),
      toMs: Date.parse('2026-03-09T00:00:01Z'),
    });
    expect(plan.days.map((d) => new Date(d.dayMs).toISOString())).toEqual([
      '2026-03-08T00:00:00.000Z',
      '2026-03-09T00:00:00.000Z',
    ]);
    expect(plan.days[1]!.hours).toHaveLength(24);
    expect(plan.days[1]!.hours[23]).toBe(Date.parse('2026-03-09T23:00:00Z'));
    expect(plan.fromMs).toBe(Date.parse('2026-03-08T00:00:00Z'));
    expect(plan.toMs).toBe(Date.parse('2026-03-10T00:00:00Z'));
    expect(plan.tenSecondFromMs).toBe(now - TEN_SECOND_KEEP_MS);
  });

  it('runs to the end of the day of now plus the allowed clock skew by default', () => {
    expect(planRebuild({ ...base, fromMs: now }).toMs).toBe(Date.parse('2026-03-11T00:00:00Z'));
    const lateInDay = Date.parse('2026-03-10T23:30:00Z');
    expect(planRebuild({ ...base, nowMs: lateInDay, fromMs: lateInDay }).days).toHaveLength(2);
  });

  it('starts no earlier than the day of the retention cutoff, whose partition is still whole', () => {
    const cutoffDay = Date.parse('2026-02-08T00:00:00Z'); // now - 30 days = 2026-02-08T15:20Z
    expect(planRebuild({ ...base, fromMs: cutoffDay + 5 * HOUR }).fromMs).toBe(cutoffDay);
    expect(() => planRebuild({ ...base, fromMs: cutoffDay - 1 })).toThrow(RebuildRangeError);
    expect(() => planRebuild({ ...base, fromMs: cutoffDay - 1 })).toThrow(
      /raw events before 2026-02-08T00:00:00.000Z are gone \(retention 30 days\)/,
    );
  });

  it('refuses an empty or reversed range', () => {
    expect(() => planRebuild({ ...base, fromMs: now, toMs: now })).toThrow(
      '--to (2026-03-10T15:20:00.000Z) must be after --from (2026-03-10T15:20:00.000Z)',
    );
  });
});
