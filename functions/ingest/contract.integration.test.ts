import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { createTestEnv, useTestEnv, eventually } from '../../test/harness';
import { call } from '../../test/builders';
import { startLocalRuntime } from '../../local/runtime';
import { startConsumerGroup } from '../../adapters/kafka/consumer-group';
import { createRateLimiter } from '../../adapters/redis/rate-limiter';

const { env, runtime, tenant } = useTestEnv('contract', {
  overrides: { API_KEY_CACHE_TTL: '300ms' },
  tenants: 1,
  runtime: { consumers: false },
});

const post = (opts: Parameters<typeof call>[2]) =>
  call(runtime.url, '/v1/events', { key: tenant.keys.ingest, ...opts });

describe('request bodies', () => {
  it('accepts gzip bodies and refuses gzip bombs, broken gzip and unknown encodings', async () => {
    const gz = (v: unknown) => gzipSync(JSON.stringify(v));
    const headers = { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' };
    expect((await post({ body: gz({ event_type: 'zipped', project: 'web' }), headers })).status).toBe(202);

    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)); // 50 MB of spaces, ~50 KB compressed
    const refused = await post({ body: bomb, headers });
    expect(refused.status).toBe(413);
    expect(refused.body.error.message).toContain('decompressed body');

    expect((await post({ body: Buffer.from('not gzip'), headers })).body.error.code).toBe('invalid_body');
    expect(
      (await post({ body: '{}', headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'br' } })).status,
    ).toBe(415);
    expect(
      (await post({ body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), headers: { 'Content-Type': 'application/json' } }))
        .body.error.message,
    ).toContain('UTF-8');
  });

  it('refuses a 50 MB body with 413 before it has been sent', async () => {
    const url = new URL(runtime.url + '/v1/events');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Authorization: `Bearer ${tenant.keys.ingest}`,
            'Content-Length': String(50 * 1024 * 1024),
          },
        },
        (res) => resolve(res.statusCode ?? 0),
      );
      req.on('error', reject);
      req.write(Buffer.alloc(64 * 1024, 0x20)); // a small part; the rest is never sent
    });
    expect(status).toBe(413);
  });

  it('answers CORS preflights and exposes the request id to browsers', async () => {
    const preflight = await call(runtime.url, '/v1/events', {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Authorization');
    const res = await post({
      json: { event_type: 'from_browser', project: 'web' },
      headers: { Origin: 'https://shop.example' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
  });

  it('puts the request id and a valid traceparent into the Kafka record headers', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const res = await post({
      json: { event_type: 'traced', project: 'web', event_id: 'traced-1' },
      headers: { traceparent },
    });
    expect(res.status).toBe(202);
    const seen: Record<string, string>[] = [];
    const group = await startConsumerGroup(env.config.kafka, {
      groupId: `trace_${env.runId}`,
      topics: [env.config.kafka.topics.eventsRaw],
      batchSize: 100,
      onBatch: async (records) => {
        for (const r of records) {
          if (r.value?.toString().includes('"traced-1"'))
            seen.push(Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, String(v)])));
        }
      },
    });
    try {
      await eventually(async () => (seen.length > 0 ? true : undefined), 30_000);
    } finally {
      await group.stop();
    }
    expect(seen[0]).toEqual({ request_id: res.headers.get('x-request-id'), traceparent });
  });
});

describe('rate limiting (token bucket in Redis, counted in events)', () => {
  it('refuses a batch that does not fit, whole, and shares the bucket across processes', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const limit = { eventsPerSecond: 10, burst: 20 };
    const processA = createRateLimiter(env.adapters.redis, limit, clock);
    const processB = createRateLimiter(env.adapters.redis, limit, clock);
    const other = await env.createTenant();

    expect(await processA.take(other.id, 15)).toEqual({ allowed: true });
    expect(await processB.take(other.id, 10)).toEqual({ allowed: false, retryAfterMs: 500 });
    expect(await processB.take(other.id, 5)).toEqual({ allowed: true });
    now += 1_000; // 10 tokens back
    expect(await processA.take(other.id, 10)).toEqual({ allowed: true });
    expect(await processA.take(other.id, 1)).toEqual({ allowed: false, retryAfterMs: 100 });
    now += 60_000; // refills only up to the burst
    expect(await processA.take(other.id, 21)).toEqual({ allowed: false, retryAfterMs: 100 });
    expect(await processA.take(other.id, 20)).toEqual({ allowed: true });
  });

  it('decides concurrent requests of a tenant together, in arrival order, all or nothing each', async () => {
    const limiter = createRateLimiter(env.adapters.redis, { eventsPerSecond: 10, burst: 20 }, () => 5_000_000);
    const t = await env.createTenant();
    const decisions = await Promise.all([
      limiter.take(t.id, 15),
      limiter.take(t.id, 10),
      limiter.take(t.id, 5),
      limiter.take(t.id, 1),
    ]);
    expect(decisions).toEqual([
      { allowed: true },
      { allowed: false, retryAfterMs: 500 },
      { allowed: true },
      { allowed: false, retryAfterMs: 100 },
    ]);
  });

  it('lets two processes admit together no more than the burst plus the leases they held (docs/operations.md)', async () => {
    let now = 3_000_000;
    const clock = () => now;
    const limit = { eventsPerSecond: 1000, burst: 2000, leaseMs: 100 };
    const processA = createRateLimiter(env.adapters.redis, limit, clock);
    const processB = createRateLimiter(env.adapters.redis, limit, clock);
    const t = await env.createTenant();
    // Each takes 10 events and a lease of 100 (the bucket is above half full); 300 ms later the bucket is full again.
    expect(await processA.take(t.id, 10)).toEqual({ allowed: true });
    expect(await processB.take(t.id, 10)).toEqual({ allowed: true });
    now += 300;
    const leasesHeld = 2 * 100;
    let admitted = 0;
    for (let i = 0; i < 300; i++) {
      for (const p of [processA, processB]) if ((await p.take(t.id, 10)).allowed) admitted += 10;
    }
    // The clock stood still: the bucket's 2000 and the leases, then refusals with the bucket's own wait.
    expect(admitted).toBe(limit.burst + leasesHeld);
    expect(await processA.take(t.id, 10)).toEqual({ allowed: false, retryAfterMs: 10 });
    expect(await processB.take(t.id, 10)).toEqual({ allowed: false, retryAfterMs: 10 });
  });

  it('answers 429 with Retry-After when a tenant is over its rate', async () => {
    const limited = await createTestEnv(
      'ratelimited',
      {
        RATE_LIMIT_EVENTS_PER_SECOND: '1',
        RATE_LIMIT_BURST: '5',
        MAX_EVENTS_PER_BATCH: '5',
        KAFKA_SEND_TIMEOUT: '200ms',
      },
      { topics: false },
    );
    const rt = await startLocalRuntime(limited.adapters, {
      port: 0,
      web: false,
      scheduler: false,
      consumers: false,
      http: true,
    });
    try {
      const t = await limited.createTenant();
      const res = await call(rt.url, '/v1/events', {
        key: t.keys.ingest,
        json: { events: Array.from({ length: 5 }, () => ({ event_type: 'a', project: 'web' })) },
      });
      // No topics in this world: the first batch fits the bucket, then fails at Kafka (503), which still spent the tokens.
      expect([202, 503]).toContain(res.status);
      const over = await call(rt.url, '/v1/events', { key: t.keys.ingest, json: { event_type: 'a', project: 'web' } });
      expect(over.status).toBe(429);
      expect(over.body.error.code).toBe('rate_limited');
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    } finally {
      await rt.stop();
      await limited.cleanup();
    }
  });
});

describe('projects and API keys over the API', () => {
  it('lets an admin key create, list and change projects; others may only read', async () => {
    const created = await call(runtime.url, '/v1/projects', {
      key: tenant.keys.admin,
      json: { slug: 'ios', name: 'iOS app', schema_mode: 'strict' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ slug: 'ios', name: 'iOS app', schema_mode: 'strict' });
    expect((await call(runtime.url, '/v1/projects', { key: tenant.keys.admin, json: { slug: 'ios' } })).status).toBe(
      409,
    );
    expect(
      (await call(runtime.url, '/v1/projects', { key: tenant.keys.admin, json: { slug: 'Not A Slug' } })).body.error
        .code,
    ).toBe('invalid_body');
    expect((await call(runtime.url, '/v1/projects', { key: tenant.keys.read, json: { slug: 'nope' } })).status).toBe(
      403,
    );
    const listed = await call(runtime.url, '/v1/projects', { key: tenant.keys.read });
    expect(listed.body.projects.map((p: { slug: string }) => p.slug)).toEqual(['ios', 'web']);
    const patched = await call(runtime.url, '/v1/projects/ios', {
      method: 'PATCH',
      key: tenant.keys.admin,
      json: { schema_mode: 'open' },
    });
    expect(patched.body.schema_mode).toBe('open');
    expect(
      (
        await call(runtime.url, '/v1/projects/unknown', {
          method: 'PATCH',
          key: tenant.keys.admin,
          json: { name: 'x' },
        })
      ).status,
    ).toBe(404);
  });

  it('creates a key shown once, lists it by prefix, and revocation takes effect within seconds', async () => {
    const created = await call(runtime.url, '/v1/api-keys', {
      key: tenant.keys.admin,
      json: { scopes: ['ingest'], project: 'web' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: expect.stringMatching(/^cs_/), scopes: ['ingest'], project: 'web' });
    const newKey = created.body.key as string;
    expect((await post({ key: newKey, json: { event_type: 'with_new_key' } })).status).toBe(202);

    const listed = await call(runtime.url, '/v1/api-keys', { key: tenant.keys.admin });
    expect(JSON.stringify(listed.body)).not.toContain(newKey);
    expect(listed.body.api_keys).toContainEqual(
      expect.objectContaining({ id: created.body.id, prefix: newKey.slice(0, 11), project: 'web', revoked_at: null }),
    );
    expect((await call(runtime.url, '/v1/api-keys', { key: tenant.keys.read })).status).toBe(403);

    expect(
      (await call(runtime.url, `/v1/api-keys/${created.body.id}`, { method: 'DELETE', key: tenant.keys.admin })).status,
    ).toBe(200);
    await eventually(
      async () =>
        (await post({ key: newKey, json: { event_type: 'after_revoke' } })).status === 401 ? true : undefined,
      10_000,
    );
  });

  it('treats another tenant’s key id as nonexistent', async () => {
    const other = await env.createTenant();
    const foreign = await call(runtime.url, '/v1/api-keys', { key: other.keys.admin, json: { scopes: ['read'] } });
    const res = await call(runtime.url, `/v1/api-keys/${foreign.body.id}`, {
      method: 'DELETE',
      key: tenant.keys.admin,
    });
    expect(res.status).toBe(404);
    expect((await call(runtime.url, '/v1/events', { key: foreign.body.key })).status).toBe(200);
  });
});
