import fc from 'fast-check';
import { FUNNEL_MAX_STEPS, FUNNEL_MIN_STEPS, FUNNEL_ORDERS } from '../../../core/funnel';
import type { FunnelAnswer, FunnelStepResult } from '../api/types';
import { hrefFor, parseHash } from '../lib/router';
import {
  canListPersons,
  chartRows,
  EMPTY_FUNNEL,
  filtersBody,
  formatPercent,
  formatSeconds,
  funnelBody,
  funnelFromParams,
  funnelToParams,
  FUNNEL_ORDERS as FORM_ORDERS,
  MAX_STEPS,
  MIN_STEPS,
  personsBody,
  stepsFor,
  type FunnelForm,
} from './funnelForm';

const NOW = Date.parse('2026-12-05T12:00:00Z');

const rows = fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 3 });
const step = fc.record({ eventType: fc.string(), filters: rows });
const form: fc.Arbitrary<FunnelForm> = fc
  .record({
    project: fc.string(),
    steps: fc.array(step, { minLength: 2, maxLength: MAX_STEPS }),
    window: fc.constantFrom('1h', '14d', '30m', '90d'),
    order: fc.constantFrom('ordered' as const, 'strict' as const, 'any' as const),
    breakdown: fc.string().filter((s) => s.trim() === s),
    exclusions: fc.array(
      fc.record({ eventType: fc.string(), filters: rows, fromStep: fc.nat(20), toStep: fc.nat(20) }),
      { maxLength: 2 },
    ),
    relative: fc.boolean(),
    range: fc.constantFrom('24h', '7d', '30d'),
    fromMs: fc.integer({ min: 0, max: 4e12 }),
    spanMs: fc.integer({ min: 1, max: 1e10 }),
  })
  .map(({ relative, range, fromMs, spanMs, ...f }) => ({
    ...f,
    range: relative ? range : '',
    from: relative ? '' : new Date(fromMs).toISOString(),
    to: relative ? '' : new Date(fromMs + spanMs).toISOString(),
  }));

const stepResult = (step: number, count: number, prev: number | null, first: number): FunnelStepResult => ({
  step,
  event_type: `e${step}`,
  count,
  conversion_from_first: first === 0 ? null : count / first,
  conversion_from_previous: prev === null || prev === 0 ? null : count / prev,
  drop_off: prev === null ? 0 : prev - count,
  median_seconds_to_convert: step === 1 ? null : 60,
  average_seconds_to_convert: step === 1 ? null : 90,
});

describe('funnel form ⇄ route', () => {
  it('offers the API’s step limits and orders (core/funnel.ts; the bundle cannot import it)', () => {
    expect([MIN_STEPS, MAX_STEPS]).toEqual([FUNNEL_MIN_STEPS, FUNNEL_MAX_STEPS]);
    expect(FORM_ORDERS.map((o) => o.value)).toEqual([...FUNNEL_ORDERS]);
  });

  it('survives a trip through the hash route unchanged, for any form', () => {
    fc.assert(
      fc.property(form, (f) => {
        const route = parseHash(hrefFor('funnels', funnelToParams(f)));
        expect(route.screen).toBe('funnels');
        expect(funnelFromParams(route.params)).toEqual(f);
      }),
    );
  });

  it('reads any query string without throwing, always with 2 to 20 steps and a known order', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom('steps', 'exclusions', 'order', 'window', 'range', 'from', 'to', 'x'), fc.string()),
        ),
        (pairs) => {
          const f = funnelFromParams(new URLSearchParams(pairs));
          expect(f.steps.length).toBeGreaterThanOrEqual(2);
          expect(f.steps.length).toBeLessThanOrEqual(MAX_STEPS);
          expect(['ordered', 'strict', 'any']).toContain(f.order);
        },
      ),
    );
  });

  it('defaults an empty route to two empty steps over the last 7 days', () => {
    expect(funnelFromParams(new URLSearchParams())).toEqual(EMPTY_FUNNEL);
  });
});

describe('funnel body', () => {
  it('sends steps with their filters, window, order, breakdown, exclusions and a range ending now', () => {
    const f: FunnelForm = {
      ...EMPTY_FUNNEL,
      project: 'web',
      steps: [
        {
          eventType: ' signup ',
          filters: [
            ['plan', 'pro'],
            ['', 'ignored'],
          ],
        },
        { eventType: 'checkout', filters: [] },
      ],
      breakdown: ' utm.source ',
      exclusions: [{ eventType: 'cancel', filters: [], fromStep: 1, toStep: 2 }],
      range: '7d',
    };
    expect(funnelBody(f, NOW)).toEqual({
      project: 'web',
      steps: [{ event_type: 'signup', filters: { plan: 'pro' } }, { event_type: 'checkout' }],
      window: '14d',
      from: '2026-11-28T12:00:00.000Z',
      to: '2026-12-05T12:00:00.000Z',
      order: 'ordered',
      breakdown: 'utm.source',
      exclusions: [{ event_type: 'cancel', from_step: 1, to_step: 2 }],
    });
  });

  it('uses absolute bounds as they are and leaves out what is not set', () => {
    const body = funnelBody(
      { ...EMPTY_FUNNEL, range: '', from: '2026-12-01T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z' },
      NOW,
    );
    expect(body).toEqual({
      steps: [{ event_type: '' }, { event_type: '' }],
      window: '14d',
      from: '2026-12-01T00:00:00.000Z',
      to: '2026-12-02T00:00:00.000Z',
      order: 'ordered',
    });
  });

  it('turns filter rows into one object, a later row for a path winning', () => {
    expect(filtersBody([])).toBeUndefined();
    expect(
      filtersBody([
        [' a ', '1'],
        ['b', 'x'],
        ['a', '2'],
      ]),
    ).toEqual({ a: '2', b: 'x' });
  });

  it('asks for persons with the bounds the answer used, so every page counts the same funnel', () => {
    const query = funnelBody({ ...EMPTY_FUNNEL, range: '7d' }, NOW);
    const answer = { from: '2026-11-28T11:00:00.000Z', to: '2026-12-05T11:00:00.000Z' };
    expect(personsBody(query, answer, { step: 2, status: 'dropped', breakdownValue: null }, null, 50)).toEqual({
      ...query,
      ...answer,
      step: 2,
      status: 'dropped',
      limit: 50,
    });
    expect(personsBody(query, answer, { step: 1, status: 'converted', breakdownValue: '$none' }, 'c1', 10)).toEqual({
      ...query,
      ...answer,
      step: 1,
      status: 'converted',
      breakdown_value: '$none',
      cursor: 'c1',
      limit: 10,
    });
    expect(canListPersons('$other')).toBe(false);
    expect(canListPersons('$none')).toBe(true);
    expect(canListPersons(null)).toBe(true);
  });
});

describe('funnel answer → chart', () => {
  const steps = [stepResult(1, 10, null, 10), stepResult(2, 6, 10, 10), stepResult(3, 3, 6, 10)];
  const answer: FunnelAnswer = {
    project: 'web',
    order: 'ordered',
    window: '14d',
    from: 'a',
    to: 'b',
    steps,
    breakdown: 'plan',
    breakdown_values: [
      { value: 'pro', steps: [stepResult(1, 4, null, 4), stepResult(2, 4, 4, 4), stepResult(3, 1, 4, 4)] },
    ],
  };

  it('stacks converted and dropped persons per step; converted + dropped = the previous step', () => {
    const bars = chartRows(steps);
    expect(bars.map((b) => [b.label, b.converted, b.dropped])).toEqual([
      ['1. e1', 10, 0],
      ['2. e2', 6, 4],
      ['3. e3', 3, 3],
    ]);
    for (let i = 1; i < bars.length; i++) expect(bars[i]!.converted + bars[i]!.dropped).toBe(bars[i - 1]!.converted);
  });

  it('shows a breakdown value’s funnel, or the whole one', () => {
    expect(stepsFor(answer, null)).toBe(steps);
    expect(stepsFor(answer, 'pro')[2]!.count).toBe(1);
    expect(stepsFor(answer, 'gone')).toBe(steps);
  });

  it('formats shares and durations', () => {
    expect(formatPercent(null)).toBe('—');
    expect(formatPercent(0.4567)).toBe('45.7%');
    expect(formatPercent(1)).toBe('100.0%');
    expect(formatSeconds(null)).toBe('—');
    expect(formatSeconds(2.345)).toBe('2.3 s');
    expect(formatSeconds(45)).toBe('45 s');
    expect(formatSeconds(200)).toBe('3 min 20 s');
    expect(formatSeconds(3600)).toBe('1 h');
    expect(formatSeconds(7500)).toBe('2 h 5 min');
    expect(formatSeconds(3 * 86400 + 4 * 3600 + 59)).toBe('3 d 4 h');
  });
});
