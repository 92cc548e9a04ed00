import fc from 'fast-check';
import { readBodyShape, validateEvent, parseTimestamp, type ValidationLimits } from './event-validation';

const limits: ValidationLimits = {
  maxEventsPerBatch: 1000,
  maxPropertiesBytes: 32 * 1024,
  maxPropertiesDepth: 5,
  maxFutureSkewMs: 3_600_000,
  retentionMs: 30 * 86_400_000,
};
const NOW = Date.parse('2026-11-27T10:00:00Z');

function rejection(raw: unknown) {
  const r = validateEvent(raw, 0, NOW, limits);
  if (r.kind === 'ok') throw new Error('expected a rejection');
  return r.reason;
}

describe('readBodyShape', () => {
  it('treats a plain object as one event', () => {
    const shape = readBodyShape({ event_type: 'a' }, 1000);
    expect(shape).toEqual({ kind: 'ok', value: { events: [{ event_type: 'a' }], tenantIds: [undefined] } });
  });

  it('refuses batches over the limit with too_many_events', () => {
    const shape = readBodyShape({ events: Array.from({ length: 1001 }, () => ({})) }, 1000);
    expect(shape).toMatchObject({ kind: 'rejected', reason: { code: 'too_many_events' } });
  });

  it('explains a top-level array and an empty batch', () => {
    expect(readBodyShape([{}], 10)).toMatchObject({
      kind: 'rejected',
      reason: { code: 'invalid_body', message: expect.stringContaining('{"events"') },
    });
    expect(readBodyShape({ events: [] }, 10)).toMatchObject({ kind: 'rejected', reason: { code: 'invalid_body' } });
    expect(readBodyShape('x', 10)).toMatchObject({ kind: 'rejected' });
  });

  it('collects tenant_id from the body and from each event', () => {
    const shape = readBodyShape({ tenant_id: 'a', events: [{ tenant_id: 'b' }, {}] }, 10);
    expect(shape.kind === 'ok' && shape.value.tenantIds).toEqual(['a', 'b', undefined]);
  });
});

describe('validateEvent', () => {
  it('accepts a minimal event, defaulting timestamp to now and generating a UUIDv7 id', () => {
    const r = validateEvent({ event_type: 'Order Completed', project: 'web' }, 3, NOW, limits);
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(r.value).toMatchObject({
      index: 3,
      eventType: 'Order Completed',
      project: 'web',
      timestampMs: NOW,
      userId: null,
      properties: {},
    });
    expect(r.value.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('accepts unicode event types and keeps a given event_id', () => {
    const r = validateEvent(
      { event_type: 'Bestellung abgeschlossen ✅ 注文', event_id: 'abc', user_id: 'ü' },
      0,
      NOW,
      limits,
    );
    expect(r.kind === 'ok' && r.value.eventId).toBe('abc');
  });

  it.each([
    [{}, 'event_type is required'],
    [{ event_type: '' }, 'must not be empty'],
    [{ event_type: 42 }, 'must be a string, got a number'],
    [{ event_type: ' padded' }, 'whitespace'],
    [{ event_type: 'a\u0007b' }, 'control'],
    [{ event_type: '$group' }, 'reserved'],
    [{ event_type: 'x'.repeat(201) }, 'longer than 200'],
    [{ event_type: 'a', userId: 'u' }, 'unknown field "userId"'],
    [{ event_type: 'a', user_id: 42 }, 'send "42", not 42'],
    [{ event_type: 'a', properties: [] }, 'properties must be a JSON object'],
    [{ event_type: 'a', properties: { a: { b: { c: { d: { e: { f: 1 } } } } } } }, 'nested more than 5'],
    [{ event_type: 'a', properties: { big: 'x'.repeat(33 * 1024) } }, 'bytes serialized'],
    [{ event_type: 'a', properties: { n: Infinity } }, 'too large'],
    [{ event_type: 'a', properties: { s: 'a\u0000b' } }, 'NUL character'],
    [{ event_type: 'a', properties: { 'k\u0000': 1 } }, 'NUL character'],
    [{ event_type: 'a', properties: { deep: [{ s: '\u0000' }] } }, 'NUL character'],
    [{ event_type: 'a', event_id: 'x'.repeat(129) }, 'longer than 128'],
    ['just a string', 'must be a JSON object'],
  ])('rejects %j: %s', (raw, message) => {
    expect(rejection(raw)).toMatchObject({
      index: 0,
      code: 'invalid_event',
      message: expect.stringContaining(message),
    });
  });

  it('accepts properties nested exactly to the limit', () => {
    expect(
      validateEvent({ event_type: 'a', properties: { a: { b: { c: { d: { e: 1 } } } } } }, 0, NOW, limits).kind,
    ).toBe('ok');
  });

  it('rejects timestamps more than an hour ahead, saying by how much', () => {
    expect(rejection({ event_type: 'a', timestamp: '2026-11-27T13:00:00Z' }).message).toBe(
      "timestamp is 3 h in the future; check the sender's clock",
    );
  });

  it('rejects timestamps older than the retention window', () => {
    expect(rejection({ event_type: 'a', timestamp: NOW - 31 * 86_400_000 }).message).toContain(
      'beyond the retention window',
    );
  });
});

describe('parseTimestamp', () => {
  it('reads ISO-8601 with offsets, without a zone as UTC, and epoch milliseconds', () => {
    expect(parseTimestamp('2026-11-27T10:00:00+01:00')).toEqual({ ms: Date.parse('2026-11-27T09:00:00Z') });
    expect(parseTimestamp('2026-11-27T10:00:00.123')).toEqual({ ms: Date.parse('2026-11-27T10:00:00.123Z') });
    expect(parseTimestamp(NOW)).toEqual({ ms: NOW });
  });

  it('spots epoch seconds and garbage', () => {
    expect(parseTimestamp(1_764_237_600)).toMatchObject({ error: expect.stringContaining('epoch seconds') });
    expect(parseTimestamp('yesterday')).toMatchObject({ error: expect.stringContaining('ISO-8601') });
    expect(parseTimestamp('2026-13-45T99:00:00Z')).toMatchObject({
      error: expect.stringContaining('not a valid date'),
    });
    expect(parseTimestamp(true)).toMatchObject({ error: expect.any(String) });
  });
});

// docs/api.md#what-ingest-refuses-and-normalises
describe('what cannot be stored or would spoof a name', () => {
  const ok = (raw: Record<string, unknown>) => {
    const r = validateEvent(raw, 0, NOW, limits);
    if (r.kind !== 'ok') throw new Error(r.reason.message);
    return r.value;
  };

  it.each([
    [{ event_type: 'a', properties: { k: 'a\ud800b' } }, 'properties.k contains a lone UTF-16 surrogate (\\ud800)'],
    [{ event_type: 'a', properties: { k: 'a\udc00' } }, 'lone UTF-16 surrogate (\\udc00)'],
    [
      { event_type: 'a', properties: { ['k\udbff']: 1 } },
      'the key "k\\udbff" in properties contains a lone UTF-16 surrogate',
    ],
    [{ event_type: 'a', properties: { a: [{ b: ['x', 'y\ud800'] }] } }, 'properties.a[0].b[1] contains a lone'],
    [
      { event_type: 'a', properties: { 'odd key': { s: '\u0000' } } },
      'properties["odd key"].s contains a NUL character',
    ],
    [{ event_type: 'a\ud800' }, 'event_type contains a lone UTF-16 surrogate'],
    [{ event_type: 'a', user_id: '\udfff' }, 'user_id contains a lone UTF-16 surrogate'],
    [{ event_type: 'a\u202eb' }, 'event_type contains an invisible or direction-changing character (U+202E)'],
    [{ event_type: 'a\u2066b' }, '(U+2066)'],
    [{ event_type: 'a\u200bb' }, '(U+200B)'],
    [{ event_type: 'a\u200db' }, '(U+200D)'],
    [{ event_type: 'a\ufeffb' }, '(U+FEFF)'],
    [{ event_type: 'a\u061cb' }, '(U+061C)'],
    [{ event_type: 'a\u200eb' }, '(U+200E)'],
    [{ event_type: 'a\u3164b' }, '(U+3164)'],
    [{ event_type: 'a\u00a0b' }, 'a space other than U+0020 (U+00A0)'],
    [
      { event_type: 'a', properties: { ['amount\u200b']: 1 } },
      'the property name "amount\u200b" contains an invisible',
    ],
    [
      { event_type: 'a', properties: { ['caf\u00e9']: 1, ['cafe\u0301']: 2 } },
      'same text in different Unicode encodings',
    ],
    [{ event_type: 'a', timestamp: '2026-02-30' }, 'not a valid date'],
    [{ event_type: 'a', timestamp: '2026-11-31T10:00:00Z' }, 'not a valid date'],
    [{ event_type: 'a', timestamp: 8.64e15 + 1 }, 'in the future'],
    [{ event_type: 'a', timestamp: -8.64e15 }, 'beyond the retention window'],
  ])('refuses %j: %s', (raw, message) => {
    expect(rejection(raw).message).toContain(message);
  });

  it('accepts noncharacters, paired surrogates, emoji with variation selectors and every finite number', () => {
    const e = ok({
      event_type: 'Like ❤️ 😀',
      properties: {
        nc: '\uffff\ufffe\ufdd0\u{10ffff}',
        [`k\uffff`]: 1,
        big: Number.MAX_VALUE,
        tiny: Number.MIN_VALUE,
        neg: -1.7e308,
      },
    });
    expect(e.eventType).toBe('Like ❤️ 😀');
    expect(e.properties.nc).toBe('\uffff\ufffe\ufdd0\u{10ffff}');
  });

  it('normalises event types and property keys (at every level) to NFC, values untouched', () => {
    const e = ok({
      event_type: 'cafe\u0301',
      properties: { ['cafe\u0301']: { ['n\u0303']: 'cafe\u0301' }, plain: 1, __proto__x: 2 },
    });
    expect(e.eventType).toBe('caf\u00e9');
    expect(e.properties).toEqual({ ['caf\u00e9']: { ['\u00f1']: 'cafe\u0301' }, plain: 1, __proto__x: 2 });
    expect(Object.keys(e.properties)).toEqual(['caf\u00e9', 'plain', '__proto__x']);
  });

  it('keeps a "__proto__" key a key when it rebuilds an object', () => {
    const properties = JSON.parse('{"__proto__": {"x": 1}, "cafe\\u0301": 1}');
    const e = ok({ event_type: 'a', properties });
    expect(JSON.stringify(e.properties)).toBe('{"__proto__":{"x":1},"café":1}');
  });

  it('reads a date-only timestamp as midnight UTC of that day', () => {
    expect(parseTimestamp('2026-11-27')).toEqual({ ms: Date.parse('2026-11-27T00:00:00Z') });
    expect(ok({ event_type: 'a', timestamp: '2026-11-27' }).timestampMs).toBe(Date.parse('2026-11-27T00:00:00Z'));
    expect(parseTimestamp('2024-02-29')).toEqual({ ms: Date.parse('2024-02-29T00:00:00Z') });
  });

  it('says "nothing", never "a undefined"', () => {
    expect(parseTimestamp(undefined)).toEqual({
      error: 'timestamp must be an ISO-8601 string or epoch milliseconds, got nothing',
    });
  });
});

describe('anonymous_id and the identity event types (docs/api.md#people)', () => {
  const check = (raw: unknown) => validateEvent(raw, 0, NOW, limits);

  it('stores the user id as the distinct id when sent, else the anonymous id; keeps the anonymous id', () => {
    expect(check({ event_type: 'a', anonymous_id: 'anon' })).toMatchObject({
      kind: 'ok',
      value: { userId: 'anon', anonymousId: 'anon' },
    });
    expect(check({ event_type: 'a', user_id: 'u', anonymous_id: 'anon' })).toMatchObject({
      kind: 'ok',
      value: { userId: 'u', anonymousId: 'anon' },
    });
    expect(check({ event_type: 'a', user_id: 'u' })).toMatchObject({
      kind: 'ok',
      value: { userId: 'u', anonymousId: null },
    });
  });

  it.each([
    [{ event_type: 'a', anonymous_id: '\ud800' }, 'anonymous_id contains a lone UTF-16 surrogate'],
    [{ event_type: 'a', anonymous_id: '' }, 'anonymous_id must not be empty'],
    [{ event_type: 'a', anonymous_id: 7 }, 'anonymous_id must be a string, got a number (send "7", not 7)'],
    [{ event_type: 'a', anonymous_id: 'x'.repeat(257) }, 'anonymous_id is longer than 256 characters'],
    [{ event_type: '$alias', properties: { previous_id: 'p' } }, '$alias needs user_id'],
    [{ event_type: '$alias', user_id: 'u' }, '$alias needs properties.previous_id'],
    [{ event_type: '$alias', user_id: 'u', properties: { previous_id: 5 } }, 'properties.previous_id must be a string'],
    [{ event_type: '$identify' }, '$identify needs user_id (or anonymous_id)'],
    [{ event_type: '$page', user_id: 'u' }, 'reserved'],
  ])('refuses %j: %s', (raw, message) => {
    expect(rejection(raw).message).toContain(message);
  });

  it('accepts $identify and $alias from POST /v1/events', () => {
    expect(check({ event_type: '$identify', user_id: 'u', properties: { plan: 'pro' } }).kind).toBe('ok');
    expect(check({ event_type: '$alias', user_id: 'u', properties: { previous_id: 'old' } }).kind).toBe('ok');
  });

  it('anonymous_id follows the same rules as user_id for every string (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.string({ unit: 'grapheme' }),
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.string({ unit: fc.constantFrom('\ud800', 'a', '\u0000', '\u2028') }),
        ),
        (id) => {
          const asUser = check({ event_type: 'a', user_id: id });
          const asAnon = check({ event_type: 'a', anonymous_id: id });
          expect(asAnon.kind).toBe(asUser.kind);
          if (asUser.kind === 'rejected' && asAnon.kind === 'rejected')
            expect(asAnon.reason.message).toBe(asUser.reason.message.replace(/user_id/g, 'anonymous_id'));
          if (asAnon.kind === 'ok') expect(asAnon.value).toMatchObject({ userId: id, anonymousId: id });
        },
      ),
      { numRuns: 2000 },
    );
  });
});
