import { firstCopies, planCountDeltas, touchedKeys, withinRetention, compareRollupKeys } from './rollups';
import type { RawEvent } from './raw-event';

const T1 = '00000000-0000-4000-8000-000000000001';
const T2 = '00000000-0000-4000-8000-000000000002';
const P = '00000000-0000-4000-8000-0000000000aa';

function event(over: Partial<RawEvent>): RawEvent {
  return { tenantId: T1, projectId: P, project: 'web', eventId: 'e1', eventType: 'signup', timestampMs: Date.parse('2026-11-27T10:00:30Z'), receivedAtMs: 0, userId: null, sessionId: null, properties: {}, ...over };
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
    const deltas = planCountDeltas([event({ eventId: 'a' }), event({ eventId: 'b', timestampMs: Date.parse('2026-11-27T10:01:05Z') })], ['1m', '1h']);
    expect(deltas.map((d) => [d.interval, new Date(d.bucketMs).toISOString(), d.delta])).toEqual([
      ['1h', '2026-11-27T10:00:00.000Z', 2],
      ['1m', '2026-11-27T10:00:00.000Z', 1],
      ['1m', '2026-11-27T10:01:00.000Z', 1],
    ]);
  });

  it('returns keys in one total order whatever the input order', () => {
    const events = [event({ tenantId: T2, eventType: 'b' }), event({ eventType: 'a' }), event({ eventType: 'b', timestampMs: 0 })];
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
