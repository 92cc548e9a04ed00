import {
  firstCopies,
  planCountDeltas,
  touchedKeys,
  withinRetention,
  compareRollupKeys,
  addDecimals,
  averageOf,
  isPreAggregatedPath,
  preAggregatedProperties,
  touchedValueKeys,
} from './rollups';
import type { RawEvent } from './raw-event';

const T1 = '00000000-0000-4000-8000-000000000001';
const T2 = '00000000-0000-4000-8000-000000000002';
const P = '00000000-0000-4000-8000-0000000000aa';

function event(over: Partial<RawEvent>): RawEvent {
  return {
    tenantId: T1,
    projectId: P,
    project: 'web',
    eventId: 'e1',
    eventType: 'signup',
    timestampMs: Date.parse('2026-11-27T10:00:30Z'),
    receivedAtMs: 0,
    userId: null,
    sessionId: null,
    properties: {},
    context: null,
    ...over,
  };
}

describe('firstCopies', () => {
  it('keeps the first copy of an event id per tenant, in batch order', () => {
    const a = event({ eventId: 'x', properties: { copy: 1 } });
    const b = event({ eventId: 'x', properties: { copy: 2 } });
    const c = event({ eventId: 'x', tenantId: T2 });
    expect(firstCopies([a, b, c])).toEqual([a, c]);
  });
});

describe('withinRetention', () => {
  it('drops events older than the window', () => {
    const now = Date.parse('2026-11-27T10:00:00Z');
    const old = event({ timestampMs: now - 11 });
    const fresh = event({ timestampMs: now - 10 });
    expect(withinRetention([old, fresh], now, 10)).toEqual([fresh]);
  });
});

describe('planCountDeltas', () => {
  it('counts per UTC-aligned bucket of every interval', () => {
    const deltas = planCountDeltas(
      [event({ eventId: 'a' }), event({ eventId: 'b', timestampMs: Date.parse('2026-11-27T10:01:05Z') })],
      ['1m', '1h'],
    );
    expect(deltas.map((d) => [d.interval, new Date(d.bucketMs).toISOString(), d.delta])).toEqual([
      ['1h', '2026-11-27T10:00:00.000Z', 2],
      ['1m', '2026-11-27T10:00:00.000Z', 1],
      ['1m', '2026-11-27T10:01:00.000Z', 1],
    ]);
  });

  it('returns keys in one total order whatever the input order', () => {
    const events = [
      event({ tenantId: T2, eventType: 'b' }),
      event({ eventType: 'a' }),
      event({ eventType: 'b', timestampMs: 0 }),
    ];
    const forward = planCountDeltas(events);
    const backward = planCountDeltas([...events].reverse());
    expect(backward).toEqual(forward);
    for (let i = 1; i < forward.length; i++) expect(compareRollupKeys(forward[i - 1]!, forward[i]!)).toBeLessThan(0);
  });
});

describe('touchedKeys', () => {
  it('lists each bucket once', () => {
    expect(touchedKeys([event({ eventId: 'a' }), event({ eventId: 'b' })], ['1m'])).toHaveLength(1);
  });
});

describe('pre-aggregated properties', () => {
  it('are the top-level JSON numbers; nested paths and other types are left to raw events', () => {
    expect(
      preAggregatedProperties(
        event({ properties: { amount: 1.5, qty: 0, plan: 'pro', n: '5', ok: true, cart: { total: 3 }, 'a.b': 1 } }),
      ),
    ).toEqual(['amount', 'qty']);
    expect(isPreAggregatedPath(['amount'])).toBe(true);
    expect(isPreAggregatedPath(['cart', 'total'])).toBe(false);
  });

  it('lists sum/n and unique-user buckets a batch touches, each once and sorted', () => {
    const keys = touchedValueKeys(
      [
        event({ eventId: 'a', userId: 'u', properties: { amount: 1 } }),
        event({ eventId: 'b', userId: null, properties: { amount: 2 } }),
      ],
      ['1m'],
    );
    expect(keys.sums.map((k) => k.metric)).toEqual(['n:amount', 'sum:amount']);
    expect(keys.sketches.map((k) => k.metric)).toEqual(['unique_users']);
    expect(touchedValueKeys([event({ properties: { plan: 'x' } })], ['1m'])).toEqual({ sums: [], sketches: [] });
  });
});

describe('decimal arithmetic', () => {
  it('adds numeric texts exactly', () => {
    expect(addDecimals(['0.1', '0.2'])).toBe('0.3');
    expect(addDecimals(['9007199254740992', '1', '1'])).toBe('9007199254740994');
    expect(addDecimals(['-1.25', '0.25'])).toBe('-1');
    expect(addDecimals(['-0.5', '0.25'])).toBe('-0.25');
    expect(addDecimals([])).toBe('0');
  });

  it('averages as the nearest double of the exact quotient, null without events', () => {
    expect(averageOf('0.3', '2')).toBe(0.15);
    expect(averageOf('0.3', '3')).toBe(0.1);
    expect(averageOf('1', '3')).toBe(1 / 3);
    expect(averageOf('-7', '2')).toBe(-3.5);
    expect(averageOf('0', '0')).toBeNull();
  });
});
