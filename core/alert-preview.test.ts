import fc from 'fast-check';
import { replayRule, type PreviewSource } from './alert-preview';
import { windowRange, type AlertOp } from './alert-rule';
import { INITIAL_STATE, nextState, type AlertState, type Timing } from './alert-state';

const S = 1_000;
const T0 = Date.UTC(2026, 10, 27, 12, 0, 0); // a 10 s boundary

/** A count rule over `events` (timestamps), read the way the live engine reads it; records every instant asked. */
function countSource(events: number[], windowMs: number) {
  const asked: number[] = [];
  const count = (from: number, toExcl: number, until: number) =>
    events.filter((e) => e >= from && e < toExcl && e <= until).length;
  const src: PreviewSource = {
    valueBefore: async (b) => {
      asked.push(b - 1);
      return count(b - windowMs, b, b - 1);
    },
    valueAt: async (ms) => {
      asked.push(ms);
      const { fromMs, toMs } = windowRange(ms, windowMs);
      return count(fromMs, toMs, ms);
    },
    arrivals: async (after, until) => {
      asked.push(until);
      return [...new Set(events.filter((e) => e > after && e <= until))].sort((a, b) => a - b);
    },
  };
  return { src, asked };
}

const timing = (op: AlertOp, threshold: number, forMs = 0, allowedLatenessMs = 20 * S): Timing => ({
  op,
  threshold,
  forMs,
  cooldownMs: 0,
  allowedLatenessMs,
});

describe('replayRule (the preview)', () => {
  it('reports the firing at the event that crossed the threshold, not at a bucket start or a step', async () => {
    const { src } = countSource([T0 + 3 * S, T0 + 7_500], 30 * S);
    const r = await replayRule(src, timing('>', 1), T0 - 20 * S, T0 + 60 * S, 10 * S);
    expect(r.transitions.filter((t) => t.to === 'firing').map((t) => t.atMs)).toEqual([T0 + 7_500]);
    expect(r.transitions[0]).toMatchObject({ from: 'ok', to: 'firing', notification: 'firing', value: 2 });
    // The point of the window ending at T0 + 10 s holds both events.
    expect(r.series.find((p) => p.t === T0 + 10 * S)).toEqual({ t: T0 + 10 * S, value: 2, state: 'firing' });
  });

  it('ends a `for` period and the allowed lateness at their exact instants', async () => {
    const { src } = countSource([T0 + 2 * S, T0 + 4 * S], 30 * S);
    const r = await replayRule(src, timing('>', 1, 15 * S, 20 * S), T0 - 10 * S, T0 + 120 * S, 10 * S);
    expect(r.transitions.map((t) => [t.from, t.to, t.atMs - T0])).toEqual([
      ['ok', 'pending', 4 * S],
      ['pending', 'firing', 19 * S],
      // At 30 s the window (the current bucket and the two before it) no longer holds the bucket of both events;
      // resolved after the allowed lateness, 20 s later.
      ['firing', 'ok', 50 * S],
    ]);
  });

  it('an absence rule fires at the boundary where the last event leaves the window', async () => {
    const { src } = countSource([T0 + 5 * S], 30 * S);
    const r = await replayRule(src, timing('<', 1), T0 + 6 * S, T0 + 90 * S, 10 * S);
    expect(r.transitions.filter((t) => t.to === 'firing').map((t) => t.atMs - T0)).toEqual([30 * S]);
  });

  it('never reads past toMs, and its last point is toMs', async () => {
    const toMs = T0 + 47_123;
    const { src, asked } = countSource([T0 + 1 * S, T0 + 46 * S, T0 + 48 * S, T0 + 50 * S], 10 * S);
    const r = await replayRule(src, timing('>', 0), T0, toMs, 10 * S);
    expect(Math.max(...asked)).toBeLessThanOrEqual(toMs);
    expect(r.series[r.series.length - 1]!.t).toBe(toMs);
    expect(r.series.every((p) => p.t <= toMs)).toBe(true);
  });

  it('matches the live state machine evaluated at every arrival and boundary (generated events, thresholds, steps)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 180 * S }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 6 }),
        fc.constantFrom(10, 20, 30, 60),
        fc.constantFrom(10, 20),
        fc.integer({ min: 0, max: 10 * S - 1 }),
        async (offsets, threshold, windowS, stepS, fromOffset) => {
          const events = offsets.map((o) => T0 + o).sort((a, b) => a - b);
          const fromMs = T0 + fromOffset;
          const toMs = T0 + 200 * S;
          const t = timing('>', threshold, 0, 0);
          const { src } = countSource(events, windowS * S);
          const r = await replayRule(src, t, fromMs, toMs, stepS * S);
          // Reference: the state machine at every instant where the value can change, in order.
          const instants = [...new Set([fromMs, ...events.filter((e) => e > fromMs && e <= toMs)])];
          for (let b = Math.ceil((fromMs + 1) / 10_000) * 10_000; b <= toMs; b += 10_000) instants.push(b);
          instants.sort((a, b) => a - b);
          let state: AlertState = { ...INITIAL_STATE, sinceMs: fromMs };
          const fired: number[] = [];
          for (const ms of instants) {
            const next = nextState(state, { value: await src.valueAt(ms) }, t, ms);
            state = next.state;
            if (next.transition?.to === 'firing') fired.push(ms);
          }
          // Every reported firing is one the live engine makes, at the same instant. Between two points the condition
          // may flip and flip back unseen (the preview reads points, not every instant); with 10 s points (one bucket)
          // the first firing is never missed.
          const got = r.transitions.filter((x) => x.to === 'firing').map((x) => x.atMs);
          for (const g of got) expect(fired).toContain(g);
          if (stepS === 10) expect(got[0]).toBe(fired[0]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
