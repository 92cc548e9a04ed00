import fc from 'fast-check';
import { MAX_PERIODS as API_MAX_PERIODS } from '../../../core/retention';
import type { RetentionCohort } from '../api/types';
import { hrefFor, parseHash } from '../lib/router';
import {
  averageRow,
  cohortCells,
  HEAT_MAX_MIX,
  heatMix,
  MAX_PERIODS,
  periodLabel,
  retentionBody,
  retentionFromParams,
  retentionToParams,
  sharePercent,
  type RetentionForm,
} from './retentionForm';

const NOW = Date.parse('2026-12-05T12:00:00Z');
const rows = fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 3 });
const form: fc.Arbitrary<RetentionForm> = fc
  .record({
    project: fc.string(),
    startEvent: fc.string(),
    startFilters: rows,
    returnEvent: fc.string(),
    returnFilters: rows,
    period: fc.constantFrom('day' as const, 'week' as const),
    n: fc.integer({ min: 1, max: 26 }),
    breakdown: fc.string().filter((s) => s.trim() === s),
    range: fc.constantFrom('7d', '56d'),
  })
  .map(({ n, ...f }) => ({ ...f, periods: n, from: '', to: '' }));

/** Cohorts with returned[k] <= size and some periods not begun yet. */
const cohorts: fc.Arbitrary<RetentionCohort[]> = fc.array(
  fc
    .record({
      day: fc.integer({ min: 0, max: 3000 }),
      size: fc.nat(1000),
      shares: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
    })
    .map(({ day, size, shares }): RetentionCohort => ({
      start: new Date(Date.UTC(2020, 0, 1 + day)).toISOString(),
      size,
      returned: shares.map((s) => Math.floor(s * size)),
    })),
  { maxLength: 10 },
);

describe('retention form ⇄ route ⇄ body', () => {
  it('offers the API’s period limits (core/retention.ts; the bundle cannot import it)', () => {
    expect(MAX_PERIODS).toEqual(API_MAX_PERIODS);
  });

  it('survives a trip through the hash route unchanged, for any form', () => {
    fc.assert(
      fc.property(form, (f) => {
        const route = parseHash(hrefFor('retention', retentionToParams(f)));
        expect(retentionFromParams(route.params)).toEqual(f);
      }),
    );
  });

  it('reads any query string without throwing, periods always within the API limit of the period', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('period', 'periods', 'start_filters', 'range', 'x'), fc.string())),
        (pairs) => {
          const f = retentionFromParams(new URLSearchParams(pairs));
          expect(f.periods).toBeGreaterThanOrEqual(1);
          expect(f.periods).toBeLessThanOrEqual(MAX_PERIODS[f.period]);
        },
      ),
    );
  });

  it('sends an event with filters as an object, without as a plain type', () => {
    const f = retentionFromParams(new URLSearchParams('start=signup&return=login&period=week&periods=8&range=56d'));
    expect(retentionBody({ ...f, startFilters: [['plan', 'pro']], breakdown: 'country' }, NOW)).toEqual({
      start_event: { event_type: 'signup', filters: { plan: 'pro' } },
      return_event: 'login',
      period: 'week',
      periods: 8,
      from: '2026-10-10T12:00:00.000Z',
      to: '2026-12-05T12:00:00.000Z',
      breakdown: 'country',
    });
  });
});

describe('the cohort grid', () => {
  it('has a cell per period: the share of the cohort, or null for a period not begun', () => {
    const cells = cohortCells({ start: 's', size: 8, returned: [8, 2] }, 4);
    expect(cells).toEqual([
      { k: 0, returned: 8, share: 1 },
      { k: 1, returned: 2, share: 0.25 },
      { k: 2, returned: null, share: null },
      { k: 3, returned: null, share: null },
    ]);
    expect(cohortCells({ start: 's', size: 0, returned: [0] }, 1)).toEqual([{ k: 0, returned: 0, share: null }]);
  });

  it('averages each period over the cohorts that reached it, weighted by size (against a direct sum)', () => {
    fc.assert(
      fc.property(cohorts, fc.integer({ min: 1, max: 8 }), (cs, periods) => {
        const avg = averageRow(cs, periods);
        expect(avg).toHaveLength(periods);
        for (let k = 0; k < periods; k++) {
          const reached = cs.filter((c) => c.returned.length > k);
          const returned = reached.reduce((n, c) => n + c.returned[k]!, 0);
          const size = reached.reduce((n, c) => n + c.size, 0);
          expect(avg[k]!.returned).toBe(reached.length === 0 ? null : returned);
          expect(avg[k]!.share).toBe(reached.length === 0 || size === 0 ? null : returned / size);
        }
      }),
    );
  });

  it('heats a cell by its share, monotonically, capped so the text stays readable', () => {
    expect(heatMix(null)).toBeNull();
    expect(heatMix(0)).toBe(0);
    expect(heatMix(1)).toBe(HEAT_MAX_MIX);
    expect(heatMix(5)).toBe(HEAT_MAX_MIX);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(heatMix(lo)!).toBeLessThanOrEqual(heatMix(hi)!);
      }),
    );
    expect(sharePercent(0.125)).toBe('12.5%');
    expect(periodLabel('week', 0)).toBe('Week 0');
    expect(periodLabel('day', 3)).toBe('Day 3');
  });
});
