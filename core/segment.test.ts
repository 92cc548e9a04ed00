import batchFixture from '../test/fixtures/segment-batch.json';
import {
  mapSegmentMessage,
  readSegmentBody,
  segmentCredentials,
  segmentTimestamp,
  SEGMENT_MAX_MESSAGE_BYTES,
  type SegmentLimits,
} from './segment';
import type { EventCheck, ValidEvent } from './event-validation';

const limits: SegmentLimits = {
  maxEventsPerBatch: 1000,
  maxPropertiesBytes: 32 * 1024,
  maxPropertiesDepth: 5,
  maxFutureSkewMs: 3_600_000,
  retentionMs: 30 * 86_400_000,
  maxContextBytes: 32 * 1024,
};
// The fixture's sentAt is 10:00:00 by the sender's clock; the server's clock says 10:00:05 on receipt.
const RECEIVED = Date.parse('2026-11-27T10:00:05Z');
const noBatch = { context: null, sentAt: undefined };

function mapBatch(body: unknown): EventCheck[] {
  const shape = readSegmentBody(body, 'batch', 1000);
  if (shape.kind !== 'ok') throw new Error(shape.reason.message);
  const { messages, batch } = shape.value;
  return messages.map((m, i) => mapSegmentMessage(m, i, 'batch', batch, RECEIVED, limits));
}
const accepted = (c: EventCheck): ValidEvent => {
  if (c.kind !== 'ok') throw new Error(`rejected: ${c.reason.message}`);
  return c.value;
};
const rejected = (c: EventCheck) => {
  if (c.kind === 'ok') throw new Error('expected a rejection');
  return c.reason;
};

describe('mapping a batch as analytics-node and analytics.js send it', () => {
  const [track, page, identify, group, alias, screen] = mapBatch(batchFixture).map(accepted);

  it('maps track: event → event_type, userId → user_id, messageId → event_id, properties as they are', () => {
    expect(track).toMatchObject({
      eventType: 'Order Completed',
      userId: 'u-42',
      eventId: 'node-next-1795773598000-3f1c2a9e-7b1d-4c55-9a0e-5d3f8c2b1a11',
      properties: { total: 12.5, currency: 'EUR' },
      timestampMs: Date.parse('2026-11-27T09:59:58Z'),
    });
  });

  it('keeps context beside the properties, with the anonymousId that userId displaced', () => {
    expect(track!.context).toEqual({
      library: { name: '@segment/analytics-node', version: '3.1.0' },
      ip: '203.0.113.9',
      anonymousId: 'anon-7',
    });
    expect(track!.properties).not.toHaveProperty('library');
  });

  it('maps page and screen to $page/$screen with name and category kept as properties; anonymousId is the user without a userId', () => {
    expect(page).toMatchObject({
      eventType: '$page',
      userId: 'anon-7',
      properties: { url: 'https://example.com/pricing', title: 'Pricing', name: 'Pricing', category: 'Docs' },
    });
    expect(page!.context).toEqual({ page: { path: '/pricing' } });
    expect(screen).toMatchObject({
      eventType: '$screen',
      userId: '42',
      properties: { variation: 'blue', name: 'Home' },
      context: null,
    });
  });

  it('maps identify, group and alias to reserved types with their traits and ids as properties', () => {
    expect(identify).toMatchObject({
      eventType: '$identify',
      userId: 'u-42',
      properties: { email: 'ada@example.com', plan: 'pro' },
    });
    expect(group).toMatchObject({ eventType: '$group', properties: { name: 'Acme Inc.', groupId: 'acme' } });
    expect(alias).toMatchObject({ eventType: '$alias', userId: 'u-42', properties: { previousId: 'anon-7' } });
  });

  it('corrects the clock skew of originalTimestamp: receivedAt - (sentAt - originalTimestamp)', () => {
    // Sent 10 s after it happened by the sender's clock; received at 10:00:05 by ours → it happened at 09:59:55.
    expect(page!.timestampMs).toBe(Date.parse('2026-11-27T09:59:55Z'));
  });

  it('uses the receive time when the message has no time at all', () => {
    expect(identify!.timestampMs).toBe(RECEIVED);
  });
});

describe('segmentTimestamp', () => {
  it('takes timestamp as sent, uncorrected, and prefers a message sentAt over the batch one', () => {
    expect(
      segmentTimestamp(
        { timestamp: '2026-11-27T09:00:00Z', originalTimestamp: '2026-11-27T08:00:00Z' },
        '2026-11-27T10:00:00Z',
        RECEIVED,
      ),
    ).toEqual({ ms: Date.parse('2026-11-27T09:00:00Z') });
    const msg = { originalTimestamp: '2026-11-27T09:59:00Z', sentAt: '2026-11-27T09:59:30Z' };
    expect(segmentTimestamp(msg, '2026-11-27T10:00:00Z', RECEIVED)).toEqual({ ms: RECEIVED - 30_000 });
  });

  it('uses originalTimestamp as it is when there is no sentAt to correct with', () => {
    expect(segmentTimestamp({ originalTimestamp: '2026-11-27T09:59:00Z' }, undefined, RECEIVED)).toEqual({
      ms: Date.parse('2026-11-27T09:59:00Z'),
    });
  });

  it('names the Segment field that is not a time', () => {
    expect(segmentTimestamp({ originalTimestamp: 'yesterday' }, undefined, RECEIVED)).toEqual({
      error: expect.stringMatching(/^originalTimestamp "yesterday" is not ISO-8601/),
    });
    expect(segmentTimestamp({ originalTimestamp: '2026-11-27T09:59:00Z' }, 'soon', RECEIVED)).toEqual({
      error: expect.stringMatching(/^sentAt/),
    });
  });
});

describe('per-message rejections say how to fix them, in Segment terms', () => {
  const one = (m: Record<string, unknown>, endpoint: Parameters<typeof mapSegmentMessage>[2] = 'track') =>
    mapSegmentMessage({ userId: 'u', ...m }, 0, endpoint, noBatch, RECEIVED, limits);

  it('needs an identity, a track event name, a group id and alias ids', () => {
    expect(rejected(mapSegmentMessage({ event: 'x' }, 0, 'track', noBatch, RECEIVED, limits)).message).toBe(
      'track needs a userId or an anonymousId',
    );
    expect(rejected(one({})).message).toContain('track needs "event"');
    expect(rejected(one({}, 'group')).message).toContain('groupId');
    expect(rejected(one({}, 'alias')).message).toContain('previousId');
  });

  it('refuses reserved and unprintable event names with the field called "event"', () => {
    expect(rejected(one({ event: '$page' })).message).toBe(
      'event names starting with "$" are reserved for CustomerSignal',
    );
    expect(rejected(one({ event: 'a\u0007b' })).message).toMatch(/^event contains a control/);
  });

  it('refuses a message over 32 KB with message_too_large, and a context over MAX_CONTEXT_BYTES', () => {
    const big = one({ event: 'x', properties: { s: 'x'.repeat(SEGMENT_MAX_MESSAGE_BYTES) } });
    expect(rejected(big)).toMatchObject({ code: 'message_too_large', message: expect.stringContaining('32 KB') });
    const ctx = mapSegmentMessage(
      { userId: 'u', event: 'x', context: { s: 'x'.repeat(200) } },
      0,
      'track',
      noBatch,
      RECEIVED,
      { ...limits, maxContextBytes: 100 },
    );
    expect(rejected(ctx).message).toContain('MAX_CONTEXT_BYTES');
  });

  it('does not count context against the properties limit', () => {
    const check = mapSegmentMessage(
      { userId: 'u', event: 'x', properties: { a: 1 }, context: { s: 'x'.repeat(500) } },
      0,
      'track',
      noBatch,
      RECEIVED,
      { ...limits, maxPropertiesBytes: 100 },
    );
    expect(accepted(check).context).toEqual({ s: 'x'.repeat(500) });
  });

  it('names the message id and user id fields as Segment does', () => {
    expect(rejected(one({ event: 'x', messageId: 'm'.repeat(200) })).message).toBe(
      'messageId is longer than 128 characters',
    );
    expect(rejected(one({ event: 'x', userId: { id: 1 } })).message).toMatch(
      /^userId \(or anonymousId\) must be a string/,
    );
  });

  it('refuses an unknown call type in a batch and a type that contradicts its endpoint', () => {
    expect(
      rejected(mapSegmentMessage({ type: 'trak', userId: 'u' }, 3, 'batch', noBatch, RECEIVED, limits)),
    ).toMatchObject({ index: 3, message: expect.stringContaining('type must be one of track, identify') });
    expect(rejected(one({ event: 'x', type: 'page' })).message).toContain('does not match the endpoint /v1/track');
  });

  it('refuses properties, traits and context that are not objects, and timestamps out of range', () => {
    expect(rejected(one({ event: 'x', properties: [1] })).message).toBe(
      'properties must be a JSON object, got an array',
    );
    expect(rejected(one({ traits: 'pro' }, 'identify')).message).toBe('traits must be a JSON object, got a string');
    expect(rejected(one({ event: 'x', context: 'web' })).message).toBe('context must be a JSON object, got a string');
    expect(rejected(one({ event: 'x', timestamp: '2026-11-27T14:00:00Z' })).message).toContain('in the future');
    expect(rejected(one({ event: 'x', timestamp: '1970-01-01T00:00:00Z' })).message).toMatch(
      /^the event time is \d+ d old, beyond the retention window of 30 d/,
    );
    expect(rejected(one({ event: 'x', context: { s: 'a\u0000b' } })).message).toContain('context.s contains a NUL');
  });
});

describe('readSegmentBody', () => {
  it('merges the batch context under each message context (the message wins)', () => {
    const [check] = mapBatch({
      batch: [{ type: 'track', event: 'x', userId: 'u', context: { a: 2 } }],
      context: { a: 1, b: 1 },
    });
    expect(accepted(check!).context).toEqual({ a: 2, b: 1 });
  });

  it('explains bodies that are not a batch', () => {
    expect(readSegmentBody([], 'batch', 10)).toMatchObject({
      kind: 'rejected',
      reason: { message: expect.stringContaining('{"batch": [message, ...]}') },
    });
    expect(readSegmentBody({ batch: {} }, 'batch', 10)).toMatchObject({
      kind: 'rejected',
      reason: { message: expect.stringContaining('"batch" must be an array') },
    });
    expect(readSegmentBody({ batch: [] }, 'batch', 10)).toMatchObject({
      kind: 'rejected',
      reason: { message: expect.stringContaining('empty') },
    });
    expect(readSegmentBody({ batch: [{}, {}] }, 'batch', 1)).toMatchObject({
      kind: 'rejected',
      reason: { code: 'too_many_events' },
    });
    expect(readSegmentBody('x', 'track', 10)).toMatchObject({
      kind: 'rejected',
      reason: { message: expect.stringContaining('one track message') },
    });
  });
});

describe('segmentCredentials', () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

  it('takes the write key from Basic auth (user name, empty password), the body, Bearer or X-Api-Key', () => {
    expect(segmentCredentials({ authorization: basic('cs_key:') }, undefined)).toBe('cs_key');
    expect(segmentCredentials({ authorization: basic(':cs_key') }, undefined)).toBe('cs_key');
    expect(segmentCredentials({}, 'cs_key')).toBe('cs_key');
    expect(segmentCredentials({ authorization: basic('cs_key:') }, 'cs_key')).toBe('cs_key');
    expect(segmentCredentials({ authorization: 'Bearer cs_key' }, undefined)).toBe('cs_key');
    expect(segmentCredentials({ 'x-api-key': 'cs_key' }, undefined)).toBe('cs_key');
  });

  it('refuses different keys (400) and no key at all (401)', () => {
    expect(() => segmentCredentials({ authorization: basic('cs_a:') }, 'cs_b')).toThrow(
      expect.objectContaining({ kind: 'invalid', code: 'ambiguous_credentials' }),
    );
    expect(() => segmentCredentials({ authorization: basic('cs_a:'), 'x-api-key': 'cs_b' }, undefined)).toThrow(
      expect.objectContaining({ kind: 'invalid' }),
    );
    expect(() => segmentCredentials({}, undefined)).toThrow(expect.objectContaining({ kind: 'unauthorized' }));
    expect(() => segmentCredentials({ authorization: basic(':') }, undefined)).toThrow(
      expect.objectContaining({ kind: 'unauthorized' }),
    );
  });
});

describe('anonymous_id (docs/api.md#people)', () => {
  const limits2 = limits;
  it('identify with anonymousId and userId keeps both: user_id the user, anonymous_id the anonymous id', () => {
    const r = mapSegmentMessage(
      { userId: 'u', anonymousId: 'a', traits: { plan: 'pro' } },
      0,
      'identify',
      { context: null, sentAt: undefined },
      Date.now(),
      limits2,
    );
    expect(r).toMatchObject({
      kind: 'ok',
      value: { eventType: '$identify', userId: 'u', anonymousId: 'a', properties: { plan: 'pro' } },
    });
  });
  it('an anonymous-only message has the anonymous id as both', () => {
    const r = mapSegmentMessage(
      { anonymousId: 'a', event: 'x' },
      0,
      'track',
      { context: null, sentAt: undefined },
      Date.now(),
      limits2,
    );
    expect(r).toMatchObject({ kind: 'ok', value: { userId: 'a', anonymousId: 'a' } });
  });
  it('speaks of anonymousId when it cannot be stored', () => {
    const r = mapSegmentMessage(
      { anonymousId: 'a\ud800', event: 'x' },
      0,
      'track',
      { context: null, sentAt: undefined },
      Date.now(),
      limits2,
    );
    expect(r.kind === 'rejected' && r.reason.message).toContain('anonymousId');
  });
});
