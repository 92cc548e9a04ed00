import { CustomerSignal } from './client';
import {
  ApiError,
  ClientClosedError,
  CustomerSignalError,
  EventsRejectedError,
  InvalidEventError,
  NetworkError,
  QueueFullError,
  RetriesExhaustedError,
} from './errors';
import type { CustomerSignalOptions, EventPayload, FetchLike } from './types';

// ---- a fake fetch: records every request, answers from a script (default: 202 accepting everything) ----

interface SentRequest {
  url: string;
  headers: Record<string, string>;
  events: EventPayload[];
  at: number;
}
type Reply = { status: number; body?: unknown; headers?: Record<string, string> } | Error | 'hang';
type Script = (req: SentRequest, n: number) => Reply | Promise<Reply>;

function accepted(req: SentRequest): Reply {
  return {
    status: 202,
    body: { accepted: req.events.length, rejected: 0, event_ids: req.events.map((e) => e.event_id), errors: [] },
  };
}

function fakeFetch(script: Script = accepted) {
  const requests: SentRequest[] = [];
  let active = 0;
  let maxActive = 0;
  const fetch: FetchLike = async (url, init) => {
    const req: SentRequest = {
      url,
      headers: init.headers,
      events: (JSON.parse(init.body) as { events: EventPayload[] }).events,
      at: Date.now(),
    };
    requests.push(req);
    active++;
    maxActive = Math.max(maxActive, active);
    try {
      const reply = await script(req, requests.length - 1);
      if (reply === 'hang') {
        return await new Promise<never>((_, reject) =>
          init.signal.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      }
      if (reply instanceof Error) throw reply;
      const headers = Object.fromEntries(
        Object.entries({ 'x-request-id': `req-${requests.length}`, ...reply.headers }).map(([k, v]) => [
          k.toLowerCase(),
          v,
        ]),
      );
      return {
        status: reply.status,
        headers: { get: (n: string) => headers[n.toLowerCase()] ?? null },
        text: async () => (reply.body === undefined ? '' : JSON.stringify(reply.body)),
      };
    } finally {
      active--;
    }
  };
  return { fetch, requests, maxActive: () => maxActive };
}

function errorReply(status: number, code: string, headers: Record<string, string> = {}, details?: unknown[]): Reply {
  return {
    status,
    headers,
    body: {
      error: { code, message: `${code} happened`, ...(details ? { details } : {}) },
      request_id: `rid-${status}`,
    },
  };
}

function client(fetch: FetchLike, over: Partial<CustomerSignalOptions> = {}) {
  const errors: { error: CustomerSignalError; events: EventPayload[] }[] = [];
  const c = new CustomerSignal({
    apiKey: 'cs_test_key',
    host: 'http://api.test/',
    project: 'web',
    fetch,
    random: () => 0.5,
    onError: (error, events) => void errors.push({ error, events }),
    ...over,
  });
  return { c, errors };
}

const ids = (r: SentRequest) => r.events.map((e) => e.event_id);

beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-27T10:00:00Z') }));
afterEach(() => {
  jest.clearAllTimers();
  jest.useRealTimers();
});

describe('track', () => {
  it('queues the event in wire shape with a client-side UUIDv7 event_id and sends it with the key', async () => {
    const f = fakeFetch();
    const { c } = client(f.fetch);
    const props = { plan: 'pro', nested: { a: 1 } };
    const id = c.track('Order Completed', props, { userId: 'u1', sessionId: 's1' });
    props.plan = 'changed after track'; // the event was serialized at track() time

    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await c.flush();

    expect(f.requests).toHaveLength(1);
    const [req] = f.requests;
    expect(req!.url).toBe('http://api.test/v1/events');
    expect(req!.headers).toEqual({ 'Content-Type': 'application/json', Authorization: 'Bearer cs_test_key' });
    expect(req!.events).toEqual([
      {
        event_type: 'Order Completed',
        event_id: id,
        project: 'web',
        timestamp: '2026-11-27T10:00:00.000Z',
        user_id: 'u1',
        session_id: 's1',
        properties: { plan: 'pro', nested: { a: 1 } },
      },
    ]);
    expect(c.stats).toMatchObject({ queued: 0, inFlight: 0, accepted: 1, requests: 1, retries: 0 });
  });

  it('honours explicit event_id, project and timestamp; trackEvent takes the wire shape', async () => {
    const f = fakeFetch();
    const { c } = client(f.fetch);
    expect(
      c.track('a', undefined, { eventId: 'my-id', project: 'mobile', timestamp: new Date('2026-11-27T09:00:00Z') }),
    ).toBe('my-id');
    const id2 = c.trackEvent({ event_type: 'b', timestamp: 1_700_000_000_000 });
    c.trackEvent({ event_type: 'c', event_id: 'x', timestamp: '2026-11-27T08:00:00Z', project: 'other' });
    await c.flush();
    expect(f.requests[0]!.events).toEqual([
      { event_type: 'a', event_id: 'my-id', project: 'mobile', timestamp: '2026-11-27T09:00:00.000Z' },
      { event_type: 'b', event_id: id2, project: 'web', timestamp: 1_700_000_000_000 },
      { event_type: 'c', event_id: 'x', project: 'other', timestamp: '2026-11-27T08:00:00Z' },
    ]);
  });

  it('leaves project out when neither the client nor the event names one (project-bound keys)', async () => {
    const f = fakeFetch();
    const { c } = client(f.fetch, { project: undefined });
    c.track('a');
    await c.flush();
    expect(f.requests[0]!.events[0]).not.toHaveProperty('project');
  });

  it('refuses events it can never send, synchronously, with InvalidEventError', () => {
    const { c } = client(fakeFetch().fetch, { maxBatchBytes: 500 });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => c.track('a', circular)).toThrow(InvalidEventError);
    expect(() => c.track('')).toThrow(InvalidEventError);
    expect(() => c.track('a', { s: 'x'.repeat(600) })).toThrow(/maxBatchBytes/);
    expect(() => c.track('a', {}, { timestamp: new Date(NaN) })).toThrow(InvalidEventError);
    expect(() => c.trackEvent({ event_type: 'a', event_id: '' })).toThrow(InvalidEventError);
    expect(c.stats.queued).toBe(0);
  });

  it('validates options', () => {
    expect(() => new CustomerSignal({ apiKey: '' })).toThrow(TypeError);
    expect(() => new CustomerSignal({ apiKey: 'k', flushAt: 0, fetch: fakeFetch().fetch })).toThrow(RangeError);
    expect(() => new CustomerSignal({ apiKey: 'k', maxRetries: -1, fetch: fakeFetch().fetch })).toThrow(RangeError);
    expect(() => new CustomerSignal({ apiKey: 'k', maxRetries: 0, fetch: fakeFetch().fetch })).not.toThrow();
  });
});

describe('batching', () => {
  it('sends as soon as flushAt events are queued, without waiting for the timer', async () => {
    const f = fakeFetch();
    const { c } = client(f.fetch, { flushAt: 3 });
    const a = [c.track('a'), c.track('a')];
    await jest.advanceTimersByTimeAsync(0);
    expect(f.requests).toHaveLength(0);
    a.push(c.track('a'));
    await jest.advanceTimersByTimeAsync(0);
    expect(f.requests).toHaveLength(1);
    expect(ids(f.requests[0]!)).toEqual(a);
    c.track('b');
    await jest.advanceTimersByTimeAsync(0);
    expect(f.requests).toHaveLength(1);
  });

  it('sends a partial batch flushIntervalMs after the first queued event', async () => {
    const f = fakeFetch();
    const { c } = client(f.fetch, { flushAt: 100, flushIntervalMs: 1000 });
    c.track('a');
    await jest.advanceTimersByTimeAsync(500);
    c.track('b');
    await jest.advanceTimersByTimeAsync(499);
    expect(f.requests).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(f.requests).toHaveLength(1);
    expect(f.requests[0]!.events.map((e) => e.event_type)).toEqual(['a', 'b']);
    expect(f.requests[0]!.at).toBe(Date.parse('2026-11-27T10:00:01Z'));
    // the next event starts a new interval
    c.track('c');
    await jest.advanceTimersByTimeAsync(1000);
    expect(f.requests).toHaveLength(2);
  });

  it('caps requests at maxBatchSize, one request in flight at a time, in tracking order', async () => {
    const f = fakeFetch(async (req) => {
      await new Promise((r) => setTimeout(r, 50));
      return accepted(req);
    });
    const { c } = client(f.fetch, { flushAt: 10_000, maxBatchSize: 1000 });
    const tracked = Array.from({ length: 2500 }, (_, i) => c.track('e', { i }));
    const done = c.flush();
    await jest.advanceTimersByTimeAsync(1000);
    await done;
    expect(f.requests.map((r) => r.events.length)).toEqual([1000, 1000, 500]);
    expect(f.requests.flatMap(ids)).toEqual(tracked);
    expect(f.maxActive()).toBe(1);
    expect(c.stats.accepted).toBe(2500);
  });

  it('keeps requests under maxBatchBytes', async () => {
    const f = fakeFetch();
    const { c } = client(f.fetch, { maxBatchBytes: 1000 });
    for (let i = 0; i < 10; i++) c.track('e', { pad: 'x'.repeat(200) });
    await c.flush();
    expect(f.requests.length).toBeGreaterThan(2);
    expect(f.requests.flatMap((r) => r.events)).toHaveLength(10);
    for (const r of f.requests) expect(JSON.stringify({ events: r.events }).length).toBeLessThanOrEqual(1000);
  });

  it('events tracked while a batch is in flight go into the next request, in order', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const f = fakeFetch(async (req, n) => {
      if (n === 0) await gate;
      return accepted(req);
    });
    const { c } = client(f.fetch, { flushAt: 2 });
    const first = [c.track('a'), c.track('a')];
    await jest.advanceTimersByTimeAsync(0);
    const second = [c.track('b'), c.track('b'), c.track('b')];
    expect(c.stats).toMatchObject({ queued: 3, inFlight: 2 });
    await jest.advanceTimersByTimeAsync(0);
    expect(f.requests).toHaveLength(1);
    release();
    await c.flush();
    expect(f.requests.map(ids)).toEqual([first, second]);
  });
});

describe('retries', () => {
  it('retries a 503 after Retry-After seconds with the same event_ids, then succeeds', async () => {
    const f = fakeFetch((req, n) => (n === 0 ? errorReply(503, 'unavailable', { 'Retry-After': '2' }) : accepted(req)));
    const { c, errors } = client(f.fetch);
    c.track('a');
    c.track('b');
    let flushed = false;
    void c.flush().then(() => (flushed = true));
    await jest.advanceTimersByTimeAsync(1999);
    expect(f.requests).toHaveLength(1);
    expect(flushed).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(f.requests).toHaveLength(2);
    expect(f.requests[1]!.at - f.requests[0]!.at).toBe(2000);
    expect(ids(f.requests[1]!)).toEqual(ids(f.requests[0]!));
    expect(f.requests[1]!.events).toEqual(f.requests[0]!.events); // byte-for-byte the same events, timestamps included
    await jest.advanceTimersByTimeAsync(0);
    expect(flushed).toBe(true);
    expect(errors).toEqual([]);
    expect(c.stats).toMatchObject({ accepted: 2, failed: 0, requests: 2, retries: 1 });
  });

  it('retries 429 honouring Retry-After too', async () => {
    const f = fakeFetch((req, n) =>
      n === 0 ? errorReply(429, 'rate_limited', { 'Retry-After': '5' }) : accepted(req),
    );
    const { c, errors } = client(f.fetch);
    c.track('a');
    const done = c.flush();
    await jest.advanceTimersByTimeAsync(5000);
    await done;
    expect(f.requests.map((r) => r.at - f.requests[0]!.at)).toEqual([0, 5000]);
    expect(errors).toEqual([]);
  });

  it('backs off exponentially with jitter when there is no Retry-After (500, network errors, timeouts)', async () => {
    const replies: Reply[] = [
      errorReply(500, 'internal_error'),
      new TypeError('fetch failed'),
      'hang',
      errorReply(502, 'http_502'),
      errorReply(503, 'unavailable'),
    ];
    const f = fakeFetch((req, n) => replies[n] ?? accepted(req));
    const { c, errors } = client(f.fetch, { timeoutMs: 10_000 });
    c.track('a');
    const done = c.flush();
    await jest.advanceTimersByTimeAsync(60_000);
    await done;
    // random() = 0.5: delay = 0.75 · 200 · 2^attempt; the hang costs timeoutMs before its backoff
    const gaps = f.requests.slice(1).map((r, i) => r.at - f.requests[i]!.at);
    expect(gaps).toEqual([150, 300, 10_000 + 600, 1200, 2400]);
    expect(new Set(f.requests.map((r) => ids(r)[0]))).toEqual(new Set([ids(f.requests[0]!)[0]]));
    expect(errors).toEqual([]);
    expect(c.stats).toMatchObject({ accepted: 1, requests: 6, retries: 5 });
  });

  it('jitter stays within [step/2, step] and the step is capped at retryMaxMs', async () => {
    let calls = 0;
    const f = fakeFetch(() => errorReply(503, 'unavailable'));
    // the jitter source alternates between its extremes: 0 → step/2, 0.999999 → step
    const { c, errors } = client(f.fetch, { maxRetries: 10, random: () => (calls++ % 2 === 0 ? 0 : 0.999999) });
    c.track('a');
    const done = c.flush();
    await jest.advanceTimersByTimeAsync(120_000);
    await done;
    const gaps = f.requests.slice(1).map((r, i) => r.at - f.requests[i]!.at);
    expect(gaps).toEqual([100, 400, 400, 1600, 1600, 6400, 6400, 25_600, 15_000, 30_000]);
    expect(errors).toHaveLength(1);
  });

  it('gives up after maxRetries retries and reports RetriesExhaustedError with the last error', async () => {
    const f = fakeFetch(() => errorReply(503, 'unavailable', { 'Retry-After': '1' }));
    const { c, errors } = client(f.fetch, { maxRetries: 2 });
    const id = c.track('a');
    const done = c.flush();
    await jest.advanceTimersByTimeAsync(10_000);
    await done;
    expect(f.requests).toHaveLength(3);
    expect(errors).toHaveLength(1);
    const err = errors[0]!.error as RetriesExhaustedError;
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    expect(err.attempts).toBe(3);
    expect(err.lastError).toBeInstanceOf(ApiError);
    expect((err.lastError as ApiError).status).toBe(503);
    expect(errors[0]!.events.map((e) => e.event_id)).toEqual([id]);
    expect(c.stats).toMatchObject({ failed: 1, accepted: 0 });
  });

  it('times out a request that never answers (even with a fetch that ignores the signal) and retries it', async () => {
    const f = fakeFetch((req, n) => (n === 0 ? new Promise<Reply>(() => undefined) : accepted(req)));
    const { c, errors } = client(f.fetch, { timeoutMs: 3000 });
    c.track('a');
    const done = c.flush();
    await jest.advanceTimersByTimeAsync(3000 + 150);
    await done;
    expect(f.requests).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it('reports the timeout as NetworkError("timeout") when retries run out', async () => {
    const f = fakeFetch(() => 'hang');
    const { c, errors } = client(f.fetch, { timeoutMs: 1000, maxRetries: 0 });
    c.track('a');
    const done = c.flush();
    await jest.advanceTimersByTimeAsync(1000);
    await done;
    const err = errors[0]!.error as RetriesExhaustedError;
    expect(err.lastError).toBeInstanceOf(NetworkError);
    expect(err.lastError.code).toBe('timeout');
  });

  it.each([
    [400, 'invalid_json'],
    [400, 'invalid_body'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [415, 'unsupported_media_type'],
    [404, 'not_found'],
  ])('does not retry %i %s; reports it with the API error', async (status, code) => {
    const f = fakeFetch(() => errorReply(status, code));
    const { c, errors } = client(f.fetch);
    const id = c.track('a');
    await c.flush();
    expect(f.requests).toHaveLength(1);
    expect(errors).toHaveLength(1);
    const err = errors[0]!.error as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status,
      code,
      message: `${code} happened`,
      requestId: `rid-${status}`,
      retryable: false,
    });
    expect(errors[0]!.events.map((e) => e.event_id)).toEqual([id]);
    expect(c.stats).toMatchObject({ failed: 1, retries: 0 });
  });

  it('reports per-event rejections of a 202 with index, code and the event, and does not retry them', async () => {
    const f = fakeFetch((req) => ({
      status: 202,
      body: {
        accepted: 2,
        rejected: 1,
        event_ids: [req.events[0]!.event_id, null, req.events[2]!.event_id],
        errors: [{ index: 1, code: 'invalid_event', message: 'event_type names starting with "$" are reserved' }],
      },
    }));
    const { c, errors } = client(f.fetch);
    c.track('ok');
    const bad = c.track('$bad');
    c.track('ok');
    await c.flush();
    expect(f.requests).toHaveLength(1);
    expect(errors).toHaveLength(1);
    const err = errors[0]!.error as EventsRejectedError;
    expect(err).toBeInstanceOf(EventsRejectedError);
    expect(err.status).toBe(202);
    expect(err.rejections).toEqual([
      {
        index: 1,
        code: 'invalid_event',
        message: expect.stringContaining('reserved'),
        event: expect.objectContaining({ event_id: bad, event_type: '$bad' }),
      },
    ]);
    expect(errors[0]!.events.map((e) => e.event_id)).toEqual([bad]);
    expect(c.stats).toMatchObject({ accepted: 2, rejected: 1, failed: 0 });
  });

  it('reports a 400 no_events_accepted as EventsRejectedError with the per-index details', async () => {
    const f = fakeFetch(() =>
      errorReply(400, 'no_events_accepted', {}, [
        { index: 0, code: 'unknown_project', message: 'project "nope" does not exist' },
      ]),
    );
    const { c, errors } = client(f.fetch, { project: 'nope' });
    const id = c.track('a');
    await c.flush();
    expect(f.requests).toHaveLength(1);
    const err = errors[0]!.error as EventsRejectedError;
    expect(err).toBeInstanceOf(EventsRejectedError);
    expect(err.status).toBe(400);
    expect(err.requestId).toBe('rid-400');
    expect(err.rejections).toEqual([
      {
        index: 0,
        code: 'unknown_project',
        message: expect.any(String),
        event: expect.objectContaining({ event_id: id }),
      },
    ]);
    expect(c.stats).toMatchObject({ rejected: 1, failed: 0 });
  });

  it('a 413 splits the batch in halves and sends each once; a half that is still too large is reported', async () => {
    const f = fakeFetch((req) => (req.events.length > 2 ? errorReply(413, 'payload_too_large') : accepted(req)));
    const { c, errors } = client(f.fetch);
    const tracked = Array.from({ length: 4 }, () => c.track('e'));
    await c.flush();
    expect(f.requests.map(ids)).toEqual([tracked, tracked.slice(0, 2), tracked.slice(2)]);
    expect(errors).toEqual([]);
    expect(c.stats.accepted).toBe(4);

    const g = fakeFetch((req) => (req.events.length > 1 ? errorReply(413, 'payload_too_large') : accepted(req)));
    const { c: c2, errors: errors2 } = client(g.fetch);
    const five = Array.from({ length: 5 }, () => c2.track('e'));
    await c2.flush();
    // 5 → 413 → halves of 3 and 2, each 413 again → not split further
    expect(g.requests.map((r) => r.events.length)).toEqual([5, 3, 2]);
    expect(errors2.map((e) => [(e.error as ApiError).status, e.events.map((x) => x.event_id)])).toEqual([
      [413, five.slice(0, 3)],
      [413, five.slice(3)],
    ]);
    expect(c2.stats.failed).toBe(5);
  });

  it('a 400 too_many_events (server limit below maxBatchSize) splits the batch like a 413', async () => {
    const f = fakeFetch((req) => (req.events.length > 3 ? errorReply(400, 'too_many_events') : accepted(req)));
    const { c, errors } = client(f.fetch);
    const tracked = Array.from({ length: 6 }, () => c.track('e'));
    await c.flush();
    expect(f.requests.map(ids)).toEqual([tracked, tracked.slice(0, 3), tracked.slice(3)]);
    expect(errors).toEqual([]);
  });

  it('a single event answered 413 is reported, not retried', async () => {
    const f = fakeFetch(() => errorReply(413, 'payload_too_large'));
    const { c, errors } = client(f.fetch);
    c.track('e');
    await c.flush();
    expect(f.requests).toHaveLength(1);
    expect((errors[0]!.error as ApiError).code).toBe('payload_too_large');
  });

  it('a throwing onError does not stop delivery', async () => {
    const f = fakeFetch((req, n) => (n === 0 ? errorReply(401, 'unauthorized') : accepted(req)));
    const c = new CustomerSignal({
      apiKey: 'k',
      fetch: f.fetch,
      flushAt: 1,
      onError: () => {
        throw new Error('boom');
      },
    });
    c.track('a');
    await c.flush();
    c.track('b');
    await c.flush();
    expect(f.requests).toHaveLength(2);
    expect(c.stats).toMatchObject({ failed: 1, accepted: 1 });
  });
});

describe('maxQueueSize', () => {
  it('refuses NEW events with QueueFullError once maxQueueSize are held (queued + in flight), counting them', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const f = fakeFetch(async (req) => {
      await gate;
      return accepted(req);
    });
    const { c } = client(f.fetch, { maxQueueSize: 3, flushAt: 2 });
    const kept = [c.track('a'), c.track('a')]; // → in flight
    await jest.advanceTimersByTimeAsync(0);
    kept.push(c.track('a')); // queued
    expect(() => c.track('dropped')).toThrow(QueueFullError);
    let thrown: unknown;
    try {
      c.track('dropped');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ code: 'queue_full', maxQueueSize: 3 });
    expect(c.stats).toMatchObject({ queued: 1, inFlight: 2, dropped: 2 });

    release();
    await c.flush();
    expect(f.requests.flatMap(ids)).toEqual(kept); // nothing already queued was dropped
    kept.push(c.track('a')); // room again
    await c.flush();
    expect(c.stats).toMatchObject({ accepted: 4, dropped: 2 });
  });
});

describe('flush and shutdown', () => {
  it('flush() with nothing queued resolves at once; flush() never rejects', async () => {
    const f = fakeFetch(() => errorReply(403, 'forbidden'));
    const { c, errors } = client(f.fetch);
    await expect(c.flush()).resolves.toBeUndefined();
    c.track('a');
    await expect(c.flush()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
  });

  it('flush() waits for a batch already in flight (and its retries)', async () => {
    const f = fakeFetch((req, n) => (n === 0 ? errorReply(503, 'unavailable', { 'Retry-After': '1' }) : accepted(req)));
    const { c } = client(f.fetch, { flushAt: 1 });
    c.track('a');
    await jest.advanceTimersByTimeAsync(0);
    expect(f.requests).toHaveLength(1);
    let flushed = false;
    void c.flush().then(() => (flushed = true));
    await jest.advanceTimersByTimeAsync(999);
    expect(flushed).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(flushed).toBe(true);
  });

  it('shutdown() flushes, stops the timer, refuses further track() calls, and is idempotent', async () => {
    const f = fakeFetch();
    const { c } = client(f.fetch, { flushIntervalMs: 60_000 });
    const a = c.track('a');
    const b = c.track('b');
    expect(jest.getTimerCount()).toBe(1); // the flush interval
    const p1 = c.shutdown();
    const p2 = c.shutdown();
    expect(p2).toBe(p1);
    expect(jest.getTimerCount()).toBe(1); // only the request timeout of the in-flight request
    await p1;
    expect(jest.getTimerCount()).toBe(0);
    expect(f.requests.flatMap(ids)).toEqual([a, b]);
    expect(() => c.track('c')).toThrow(ClientClosedError);
    expect(c.isClosed).toBe(true);
    await expect(c.flush()).resolves.toBeUndefined();
    expect(f.requests).toHaveLength(1);
  });

  it('shutdown() waits for retries to finish', async () => {
    const f = fakeFetch((req, n) => (n < 2 ? errorReply(503, 'unavailable', { 'Retry-After': '2' }) : accepted(req)));
    const { c } = client(f.fetch);
    c.track('a');
    let done = false;
    void c.shutdown().then(() => (done = true));
    await jest.advanceTimersByTimeAsync(3999);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    expect(f.requests).toHaveLength(3);
  });
});

describe('timers in Node', () => {
  beforeEach(() => jest.useRealTimers());

  it('the flush interval and request timeout timers are unref’d; a retry backoff is not', async () => {
    const spy = jest.spyOn(globalThis, 'setTimeout');
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const f = fakeFetch(async (req, n) => {
        if (n === 0) return errorReply(503, 'unavailable', { 'Retry-After': '0.01' });
        await gate;
        return accepted(req);
      });
      const { c } = client(f.fetch, { flushIntervalMs: 60_000 });
      c.track('a');
      const interval = spy.mock.results[0]!.value as NodeJS.Timeout;
      expect(spy.mock.calls[0]![1]).toBe(60_000);
      expect(interval.hasRef()).toBe(false);

      const done = c.flush();
      await new Promise((r) => setImmediate(r));
      const timeouts = spy.mock.calls.map(
        (call, i) => [call[1], spy.mock.results[i]!.value as NodeJS.Timeout] as const,
      );
      const requestTimeout = timeouts.find(([ms]) => ms === 10_000)![1];
      expect(requestTimeout.hasRef()).toBe(false);
      const backoff = timeouts.find(([ms]) => ms === 10)![1];
      expect(backoff.hasRef()).toBe(true);
      release();
      await done;
      await c.shutdown();
    } finally {
      spy.mockRestore();
    }
  });
});
