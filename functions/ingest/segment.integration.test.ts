// The real @segment/analytics-node SDK, pointed at the local runtime by its `host` option, against the running stack.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { useTestEnv, eventually } from '../../test/harness';
import { call } from '../../test/builders';
import { storedEventCount } from '../../test/reads';

const { env, runtime, tenant } = useTestEnv('segment', { tenants: 1, runtime: true });
let writeKey: string;

beforeAll(async () => {
  writeKey = await env.createKey(tenant, ['ingest'], tenant.project.id);
});

function sdk(host: string, opts: { maxRetries?: number } = {}) {
  const analytics = new Analytics({ writeKey, host, flushInterval: 50, maxRetries: opts.maxRetries ?? 3 });
  const statuses: number[] = [];
  const failures: unknown[] = [];
  analytics.on('http_response', (r) => statuses.push(r.status));
  analytics.on('error', (e) => failures.push(e));
  return { analytics, statuses, failures };
}

async function metricTotal(eventType: string, metric = 'count'): Promise<number> {
  const q = new URLSearchParams({
    event_type: eventType,
    metric,
    interval: '1m',
    from: new Date(Date.now() - 3_600_000).toISOString(),
  });
  const res = await call(runtime.url, `/v1/metrics?${q}`, { key: tenant.keys.read });
  expect(res.status).toBe(200);
  return (res.body.points as { value: number }[]).reduce((n, p) => n + p.value, 0);
}

async function explore(query: Record<string, string>) {
  const res = await call(runtime.url, `/v1/events?${new URLSearchParams(query)}`, { key: tenant.keys.read });
  expect(res.status).toBe(200);
  return res.body.events as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const settled = async (eventType: string, expected: number, metric = 'count') =>
  eventually(async () => ((await metricTotal(eventType, metric)) === expected ? true : undefined), 30_000, 200);

describe('@segment/analytics-node against CustomerSignal', () => {
  it('delivers track, page, screen, identify, group and alias: metrics and the explorer show them with the right user and event ids', async () => {
    const { analytics, statuses, failures } = sdk(runtime.url);
    const messageIds = Array.from({ length: 5 }, () => randomUUID());
    for (const [i, messageId] of messageIds.entries()) {
      analytics.track({
        userId: `user-${i % 3}`,
        event: 'Order Completed',
        properties: { total: 10 + i, currency: 'EUR' },
        messageId,
        context: { campaign: { name: 'fall', source: 'newsletter', medium: 'email' } },
      });
    }
    analytics.track({ anonymousId: 'anon-1', event: 'Order Completed', properties: { total: 1 } });
    analytics.page({ userId: 'user-0', name: 'Pricing', category: 'Docs', properties: { path: '/pricing' } });
    analytics.screen({ userId: 'user-0', name: 'Home' });
    analytics.identify({ userId: 'user-0', anonymousId: 'anon-1', traits: { email: 'ada@example.com', plan: 'pro' } });
    analytics.group({ userId: 'user-0', groupId: 'acme', traits: { name: 'Acme Inc.' } });
    analytics.alias({ userId: 'user-0', previousId: 'anon-1' });
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(failures).toEqual([]);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);

    await settled('Order Completed', 6);
    await settled('Order Completed', 4, 'unique_users'); // user-0, user-1, user-2, anon-1
    await settled('$page', 1);
    expect(await metricTotal('Order Completed', 'sum:total')).toBe(10 + 11 + 12 + 13 + 14 + 1);

    const tracked = await explore({ event_type: 'Order Completed', limit: '100' });
    expect(tracked).toHaveLength(6);
    const byId = new Map(tracked.map((e) => [e.event_id, e]));
    for (const [i, messageId] of messageIds.entries()) {
      expect(byId.get(messageId)).toMatchObject({
        user_id: `user-${i % 3}`,
        project: 'web',
        properties: { total: 10 + i, currency: 'EUR' },
      });
      expect(byId.get(messageId)!.context).toMatchObject({
        campaign: { source: 'newsletter' },
        library: { name: '@segment/analytics-node' },
      });
    }
    expect(tracked.find((e) => e.user_id === 'anon-1')).toBeDefined();

    const others = await explore({ event_type: '$page', limit: '10' });
    expect(others).toEqual([
      expect.objectContaining({
        user_id: 'user-0',
        properties: { path: '/pricing', name: 'Pricing', category: 'Docs' },
      }),
    ]);
    const [identify] = await explore({ event_type: '$identify' });
    expect(identify).toMatchObject({
      user_id: 'user-0',
      properties: { email: 'ada@example.com', plan: 'pro' },
      context: expect.objectContaining({ anonymousId: 'anon-1' }),
    });
    expect((await explore({ event_type: '$group' }))[0]).toMatchObject({
      properties: { name: 'Acme Inc.', groupId: 'acme' },
    });
    expect((await explore({ event_type: '$alias' }))[0]).toMatchObject({
      user_id: 'user-0',
      properties: { previousId: 'anon-1' },
    });
    expect((await explore({ event_type: '$screen' }))[0]).toMatchObject({ properties: { name: 'Home' } });
  });

  it('counts a batch the SDK retried once: the messageIds dedupe exactly', async () => {
    // A proxy that loses the answer to the first request (the batch did land) and answers 503, so the SDK retries it.
    let requests = 0;
    const proxy: Server = createServer((req, res) => {
      requests++;
      const first = requests === 1;
      const upstream = new URL(runtime.url);
      const fwd = request(
        { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            if (first) {
              res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': '1' });
              res.end('{"error":{"code":"unavailable","message":"lost"}}');
            } else {
              res.writeHead(up.statusCode ?? 502, up.headers);
              res.end(Buffer.concat(chunks));
            }
          });
        },
      );
      req.pipe(fwd);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const { analytics, statuses, failures } = sdk(`http://127.0.0.1:${(proxy.address() as AddressInfo).port}`);
      for (let i = 0; i < 7; i++) analytics.track({ userId: `r-${i}`, event: 'Retried Batch' });
      await analytics.closeAndFlush({ timeout: 20_000 });
      expect(failures).toEqual([]);
      expect(statuses).toEqual([503, 200]);
      expect(requests).toBe(2);
    } finally {
      proxy.close();
    }
    await settled('Retried Batch', 7);
    expect(await storedEventCount(env.adapters.sql, tenant.id, 'Retried Batch')).toBe(7);
    await new Promise((r) => setTimeout(r, 1_000)); // anything late would show by now
    expect(await metricTotal('Retried Batch')).toBe(7);
  });
});

describe("the spec's HTTP behaviour", () => {
  const basic = () => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  const post = (path: string, json: unknown, headers: Record<string, string> = {}) =>
    call(runtime.url, path, { json, headers: { Authorization: basic(), ...headers } });

  it('answers 200 {"success": true} on every call endpoint', async () => {
    const user = { userId: 'http-1' };
    for (const [path, body] of [
      ['/v1/track', { ...user, event: 'Http Track' }],
      ['/v1/identify', { ...user, traits: { a: 1 } }],
      ['/v1/page', { ...user, name: 'P' }],
      ['/v1/screen', { ...user, name: 'S' }],
      ['/v1/group', { ...user, groupId: 'g' }],
      ['/v1/alias', { ...user, previousId: 'old' }],
    ] as const) {
      const res = await post(path, body);
      expect({ path, status: res.status, body: res.body }).toMatchObject({
        path,
        status: 200,
        body: { success: true, accepted: 1, rejected: 0 },
      });
    }
  });

  it("takes gzip bodies and a browser's text/plain body with the writeKey inside", async () => {
    const gz = await call(runtime.url, '/v1/batch', {
      body: gzipSync(JSON.stringify({ batch: [{ type: 'track', userId: 'z', event: 'Zipped' }] })),
      headers: { Authorization: basic(), 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
    });
    expect(gz.status).toBe(200);
    const browser = await call(runtime.url, '/v1/track', {
      body: JSON.stringify({ userId: 'b', event: 'From Browser', writeKey }),
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(browser.status).toBe(200);
    expect(
      (await call(runtime.url, '/v1/track', { key: writeKey, json: { userId: 'b', event: 'Bearer Too' } })).status,
    ).toBe(200);
  });

  it('accepts the good messages of a batch and reports the bad ones (200, never retried); 400 when none is good', async () => {
    const mixed = await post('/v1/batch', {
      batch: [
        { type: 'track', userId: 'm', event: 'Mixed' },
        { type: 'track', event: 'No User' },
        { type: 'nope', userId: 'm' },
      ],
    });
    expect(mixed.status).toBe(200);
    expect(mixed.body).toMatchObject({
      success: true,
      accepted: 1,
      rejected: 2,
      errors: [{ index: 1, message: 'track needs a userId or an anonymousId' }, { index: 2 }],
    });
    const none = await post('/v1/track', { userId: 'm', event: '$reserved' });
    expect(none.status).toBe(400);
    expect(none.body.error).toMatchObject({
      code: 'no_events_accepted',
      details: [{ index: 0, message: expect.stringContaining('reserved') }],
    });
  });

  it("applies the spec's limits with 400: 32 KB per message, 500 KB per batch (also decompressed)", async () => {
    const big = await post('/v1/track', { userId: 'l', event: 'Big', properties: { s: 'x'.repeat(33 * 1024) } });
    expect(big.status).toBe(400);
    expect(big.body.error.details[0]).toMatchObject({ code: 'message_too_large' });
    const message = { type: 'track', userId: 'l', event: 'Many', properties: { s: 'x'.repeat(20 * 1024) } };
    const huge = await post('/v1/batch', { batch: Array.from({ length: 26 }, () => message) });
    expect(huge.status).toBe(400);
    expect(huge.body.error).toMatchObject({ code: 'payload_too_large', message: expect.stringContaining('500 KB') });
    const zipped = await call(runtime.url, '/v1/batch', {
      body: gzipSync(JSON.stringify({ batch: Array.from({ length: 26 }, () => message) })),
      headers: { Authorization: basic(), 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
    });
    expect(zipped.status).toBe(400);
  });

  it('refuses missing, unknown and conflicting keys, and keys that are not bound to a project, with clear 4xx', async () => {
    expect((await call(runtime.url, '/v1/track', { json: { userId: 'a', event: 'x' } })).status).toBe(401);
    const unknown = await call(runtime.url, '/v1/track', {
      json: { userId: 'a', event: 'x' },
      headers: { Authorization: `Basic ${Buffer.from('cs_nope_nope_nope_nope:').toString('base64')}` },
    });
    expect(unknown.status).toBe(401);
    expect((await post('/v1/track', { userId: 'a', event: 'x', writeKey: tenant.keys.ingest })).body.error.code).toBe(
      'ambiguous_credentials',
    );
    const unbound = await call(runtime.url, '/v1/track', {
      key: tenant.keys.ingest,
      json: { userId: 'a', event: 'x' },
    });
    expect(unbound.status).toBe(403);
    expect(unbound.body.error.message).toContain('--project');
    expect(
      (await call(runtime.url, '/v1/track', { key: tenant.keys.read, json: { userId: 'a', event: 'x' } })).status,
    ).toBe(403);
  });

  it('explains bodies that are not what the spec sends', async () => {
    expect((await post('/v1/batch', { events: [] })).body.error.message).toContain('"batch" must be an array');
    expect(
      (
        await call(runtime.url, '/v1/track', {
          body: '{',
          headers: { Authorization: basic(), 'Content-Type': 'application/json' },
        })
      ).body.error.code,
    ).toBe('invalid_json');
    expect(
      (
        await call(runtime.url, '/v1/track', {
          body: 'a=b',
          headers: { Authorization: basic(), 'Content-Type': 'application/x-www-form-urlencoded' },
        })
      ).status,
    ).toBe(415);
  });
});
