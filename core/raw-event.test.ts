import { decodeRawEvent, encodeRawEvent, type RawEvent } from './raw-event';
import { deadLetter, ok } from './outcome';

const event: RawEvent = {
  tenantId: '00000000-0000-4000-8000-000000000001',
  projectId: '00000000-0000-4000-8000-0000000000aa',
  project: 'web',
  eventId: 'e1',
  eventType: 'signup',
  timestampMs: 1_795_000_000_000,
  receivedAtMs: 1_795_000_000_500,
  userId: 'u1',
  sessionId: null,
  properties: { plan: 'pro' },
  context: null,
};

describe('the events_raw wire format', () => {
  it('round-trips an event with a context', () => {
    const withContext = { ...event, context: { library: { name: '@segment/analytics-node' } } };
    expect(decodeRawEvent(encodeRawEvent(withContext))).toEqual(ok(withContext));
  });

  it('writes no context key for an event without one, so records stay as they were', () => {
    expect(JSON.parse(encodeRawEvent(event))).not.toHaveProperty('context');
  });

  it('decodes a record written before context existed with context null', () => {
    const old =
      '{"v":1,"tenant_id":"00000000-0000-4000-8000-000000000001","project_id":"00000000-0000-4000-8000-0000000000aa","project":"web","event_id":"e1","event_type":"signup","ts":1795000000000,"received_at":1795000000500,"user_id":"u1","session_id":null,"properties":{"plan":"pro"}}';
    expect(decodeRawEvent(old)).toEqual(ok(event));
  });

  it('refuses a context that is not an object', () => {
    expect(decodeRawEvent(JSON.stringify({ ...JSON.parse(encodeRawEvent(event)), context: [1] }))).toEqual(
      deadLetter('bad_field_type'),
    );
  });

  it('carries the anonymous id; a record without one (all records from before) decodes without it', () => {
    const withAnon = { ...event, anonymousId: 'anon-1' };
    expect(decodeRawEvent(encodeRawEvent(withAnon))).toEqual(ok(withAnon));
    expect(encodeRawEvent({ ...event, anonymousId: null })).not.toContain('anonymous_id');
    const bad = JSON.parse(encodeRawEvent(withAnon)) as Record<string, unknown>;
    expect(decodeRawEvent(JSON.stringify({ ...bad, anonymous_id: 5 }))).toMatchObject({ kind: 'dead_letter' });
  });
});
