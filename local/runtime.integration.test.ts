import { gzipSync } from 'node:zlib';
import { useTestEnv, eventually } from '../test/harness';
import { call } from '../test/builders';

const {
  env,
  runtime,
  tenants: [tenant, other],
} = useTestEnv('runtime', { tenants: 2, runtime: true });

async function metricTotal(key: string, eventType: string, extra = ''): Promise<number> {
  const res = await call(
    runtime.url,
    `/v1/metrics?event_type=${encodeURIComponent(eventType)}&metric=count&interval=1m${extra}`,
    { key },
  );
  expect(res.status).toBe(200);
  return (res.body.points as { value: number }[]).reduce((n, p) => n + p.value, 0);
}

describe('events flow end to end through the local runtime', () => {
  it('POST one event → 202 → counted in GET /v1/metrics within seconds → listed by GET /v1/events', async () => {
    // Act
    const posted = await call(runtime.url, '/v1/events', {
      key: tenant.keys.ingest,
      json: {
        event_type: 'checkout_failed',
        project: 'web',
        user_id: 'u-42',
        properties: { region: 'eu', amount: 12.5 },
      },
    });

    // Assess
    expect(posted.status).toBe(202);
    expect(posted.headers.get('x-request-id')).toMatch(/[0-9a-f-]{36}/);
    expect(posted.body).toMatchObject({ accepted: 1, rejected: 0, errors: [] });
    const [eventId] = posted.body.event_ids as string[];
    await eventually(async () => ((await metricTotal(tenant.keys.read, 'checkout_failed')) === 1 ? true : undefined));

    const metrics = await call(runtime.url, '/v1/metrics?event_type=checkout_failed&interval=1m', {
      key: tenant.keys.read,
    });
    // Every bucket whose start lies in [floor(from), to): 61 for an unaligned hour, 60 for an aligned one.
    expect([60, 61]).toContain(metrics.body.points.length);
    expect(metrics.body.points[0].t).toMatch(/:00Z$|:00.000Z$/);
    expect(Date.parse(metrics.body.data_as_of)).toBeGreaterThan(Date.now() - 60_000);

    const listed = await call(runtime.url, '/v1/events?event_type=checkout_failed', { key: tenant.keys.read });
    expect(listed.status).toBe(200);
    expect(listed.body.events).toEqual([
      expect.objectContaining({
        event_id: eventId,
        event_type: 'checkout_failed',
        project: 'web',
        user_id: 'u-42',
        properties: { region: 'eu', amount: 12.5 },
      }),
    ]);
    expect(listed.body.next_cursor).toBeNull();

    // The same answer from Postgres when Redis has nothing.
    const keys = await env.adapters.redis.keys(`{${tenant.id}}:rollup:*`);
    await env.adapters.redis.del(...keys);
    expect(await metricTotal(tenant.keys.read, 'checkout_failed')).toBe(1);
    expect(await metricTotal(tenant.keys.read, 'checkout_failed')).toBe(1); // now from the refilled Redis
    expect(await metricTotal(tenant.keys.read, 'checkout_failed', '&prop.region=eu')).toBe(1);
    expect(await metricTotal(tenant.keys.read, 'checkout_failed', '&prop.region=us')).toBe(0);
  });

  it('a client retrying a batch with the same event_ids is counted once', async () => {
    const body = { events: [1, 2, 3].map((i) => ({ event_type: 'retried', project: 'web', event_id: `retry-${i}` })) };
    for (let i = 0; i < 3; i++)
      expect((await call(runtime.url, '/v1/events', { key: tenant.keys.ingest, json: body })).status).toBe(202);
    await eventually(async () => ((await metricTotal(tenant.keys.read, 'retried')) === 3 ? true : undefined));
    // Give any extra copies time to be (wrongly) counted, then check again.
    await eventually(async () => {
      const res = await call(runtime.url, '/v1/events?event_type=retried&limit=10', { key: tenant.keys.read });
      return res.body.events.length === 3 ? true : undefined;
    });
    expect(await metricTotal(tenant.keys.read, 'retried')).toBe(3);
  });

  it('one tenant never sees another tenant’s events or metrics', async () => {
    await call(runtime.url, '/v1/events', {
      key: tenant.keys.ingest,
      json: { event_type: 'secret_event', project: 'web' },
    });
    await eventually(async () => ((await metricTotal(tenant.keys.read, 'secret_event')) === 1 ? true : undefined));
    expect(await metricTotal(other.keys.read, 'secret_event')).toBe(0);
    const listed = await call(runtime.url, '/v1/events', { key: other.keys.read });
    expect(listed.body.events).toEqual([]);
  });

  it('pages the explorer with a cursor: every event once, newest first', async () => {
    const base = Date.now() - 60_000;
    const events = Array.from({ length: 7 }, (_, i) => ({
      event_type: 'paged',
      project: 'web',
      event_id: `p-${i}`,
      timestamp: base + (i % 3) * 1000,
    }));
    await call(runtime.url, '/v1/events', { key: tenant.keys.ingest, json: { events } });
    await eventually(async () => ((await metricTotal(tenant.keys.read, 'paged')) === 7 ? true : undefined));
    const seen: string[] = [];
    let cursor: string | null = null;
    let first = true;
    do {
      const res: { body: { events: { event_id: string }[]; next_cursor: string | null } } = await call(
        runtime.url,
        `/v1/events?event_type=paged&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        { key: tenant.keys.read },
      );
      if (first) {
        // Arrives after the first page: must not appear on later pages.
        await call(runtime.url, '/v1/events', {
          key: tenant.keys.ingest,
          json: { event_type: 'paged', project: 'web', event_id: 'late-arrival', timestamp: base },
        });
        await eventually(async () => ((await metricTotal(tenant.keys.read, 'paged')) === 8 ? true : undefined));
        first = false;
      }
      seen.push(...res.body.events.map((e) => e.event_id));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect([...seen].sort()).toEqual(['p-0', 'p-1', 'p-2', 'p-3', 'p-4', 'p-5', 'p-6']);
    expect(seen.slice(0, 3)).toEqual(['p-5', 'p-2', 'p-4']); // ts desc, then event_id desc
  });
});

describe('property filters', () => {
  it('match the property text whatever its JSON type, in the explorer and in metrics alike', async () => {
    const events = [
      { event_id: 'f-str', properties: { v: '5', tier: { name: 'gold' } } },
      { event_id: 'f-num', properties: { v: 5, tier: { name: 'silver' } } },
      { event_id: 'f-num-dec', properties: { v: 5.5 } },
      { event_id: 'f-bool', properties: { v: true } },
      { event_id: 'f-arr', properties: { v: [1, 2] } },
      { event_id: 'f-none', properties: { w: 5 } },
    ].map((e) => ({ ...e, event_type: 'filtered', project: 'web' }));
    expect((await call(runtime.url, '/v1/events', { key: tenant.keys.ingest, json: { events } })).status).toBe(202);
    await eventually(async () => ((await metricTotal(tenant.keys.read, 'filtered')) === 6 ? true : undefined));
    // Every page: a filtered scan stops at EXPLORER_SCAN_BUDGET with a cursor (docs/api.md), on a busy machine early.
    const ids = async (qs: string) => {
      const found: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 100; page++) {
        const after: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
        const res = await call(runtime.url, `/v1/events?event_type=filtered&${qs}${after}`, { key: tenant.keys.read });
        expect(res.status).toBe(200);
        found.push(...(res.body.events as { event_id: string }[]).map((e) => e.event_id));
        cursor = res.body.next_cursor as string | null;
        if (cursor === null) return found.sort();
      }
      throw new Error(`the explorer still offered a cursor after 100 pages for ${qs}`);
    };
    expect(await ids('prop.v=5')).toEqual(['f-num', 'f-str']);
    expect(await ids('prop.v=5.5')).toEqual(['f-num-dec']);
    expect(await ids('prop.v=true')).toEqual(['f-bool']);
    expect(await ids(`prop.v=${encodeURIComponent('[1, 2]')}`)).toEqual(['f-arr']);
    expect(await ids('prop.tier.name=gold')).toEqual(['f-str']);
    expect(await ids('prop.v=6')).toEqual([]);
    expect(await metricTotal(tenant.keys.read, 'filtered', '&prop.v=5')).toBe(2);
    expect(await metricTotal(tenant.keys.read, 'filtered', '&prop.tier.name=silver')).toBe(1);
  });
});

describe('the ingest contract', () => {
  it('refuses unknown keys with 401 and wrong scopes with 403', async () => {
    const unknown = await call(runtime.url, '/v1/events', {
      key: 'cs_' + 'x'.repeat(32),
      json: { event_type: 'a', project: 'web' },
    });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toEqual({
      error: { code: 'unauthorized', message: expect.any(String) },
      request_id: unknown.headers.get('x-request-id'),
    });
    expect((await call(runtime.url, '/v1/events', { json: { event_type: 'a' } })).status).toBe(401);
    const readKey = await call(runtime.url, '/v1/events', {
      key: tenant.keys.read,
      json: { event_type: 'a', project: 'web' },
    });
    expect(readKey.status).toBe(403);
    expect(readKey.body.error.code).toBe('forbidden');
    expect((await call(runtime.url, '/v1/metrics?event_type=a', { key: tenant.keys.ingest })).status).toBe(403);
    expect(
      (await call(runtime.url, '/v1/events', { key: tenant.keys.admin, json: { event_type: 'a', project: 'web' } }))
        .status,
    ).toBe(202);
  });

  it('answers bad requests with clear 4xx errors', async () => {
    const post = (opts: Parameters<typeof call>[2]) =>
      call(runtime.url, '/v1/events', { key: tenant.keys.ingest, ...opts });
    expect(
      (await post({ body: '{"event_type":', headers: { 'Content-Type': 'application/json' } })).body.error.code,
    ).toBe('invalid_json');
    expect((await post({ body: 'event_type=a', headers: { 'Content-Type': 'text/plain' } })).status).toBe(415);
    expect(
      (await post({ json: { event_type: 'a' }, headers: { 'X-Api-Key': tenant.keys.read } })).body.error.code,
    ).toBe('ambiguous_credentials');
    const big = await post({ json: { event_type: 'a', project: 'web', properties: { s: 'x'.repeat(1_100_000) } } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    expect(
      (await post({ json: { events: Array.from({ length: 1001 }, () => ({ event_type: 'a', project: 'web' })) } })).body
        .error.code,
    ).toBe('too_many_events');
    const gz = await post({
      body: gzipSync('{"event_type":"a"}'),
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
    });
    expect(gz.status).toBeGreaterThanOrEqual(400);
    expect(gz.status).toBeLessThan(500);
    const foreign = await post({ json: { event_type: 'a', project: 'web', tenant_id: other.id } });
    expect(foreign.status).toBe(403);
  });

  it('accepts the good events of a batch and reports the bad ones by index', async () => {
    const res = await call(runtime.url, '/v1/events', {
      key: tenant.keys.ingest,
      json: {
        events: [
          { event_type: 'ok', project: 'web' },
          { event_type: 'ok', project: 'nope' },
          { project: 'web' },
          { event_type: 'ok', project: 'web', timestamp: Date.now() + 3 * 3_600_000 },
        ],
      },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 3 });
    expect(res.body.event_ids).toEqual([expect.any(String), null, null, null]);
    expect(res.body.errors.map((e: { index: number; code: string }) => [e.index, e.code])).toEqual([
      [1, 'unknown_project'],
      [2, 'invalid_event'],
      [3, 'invalid_event'],
    ]);

    const none = await call(runtime.url, '/v1/events', {
      key: tenant.keys.ingest,
      json: { events: [{ project: 'web' }] },
    });
    expect(none.status).toBe(400);
    expect(none.body.error).toMatchObject({
      code: 'no_events_accepted',
      details: [{ index: 0, code: 'invalid_event', message: 'event_type is required' }],
    });
  });

  it('binds a project-bound key to its project', async () => {
    const bound = await env.createKey(tenant, ['ingest', 'read'], await env.createProject(tenant, 'mobile'));
    const ok = await call(runtime.url, '/v1/events', { key: bound, json: { event_type: 'bound_event' } });
    expect(ok.status).toBe(202);
    const wrong = await call(runtime.url, '/v1/events', {
      key: bound,
      json: { event_type: 'bound_event', project: 'web' },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('forbidden_project');
    expect(wrong.body.error.details[0].code).toBe('forbidden_project');
    expect((await call(runtime.url, '/v1/events?project=web', { key: bound })).status).toBe(403);
  });

  it('serves health checks without auth and without details', async () => {
    expect((await call(runtime.url, '/healthz')).body).toEqual({ status: 'ok' });
    expect((await call(runtime.url, '/readyz')).body).toEqual({
      status: 'ready',
      checks: { kafka: 'ok', postgres: 'ok', redis: 'ok' },
    });
    expect((await call(runtime.url, '/v1/nothing-here', { key: tenant.keys.read })).status).toBe(404);
    const openapi = await call(runtime.url, '/v1/openapi.json');
    expect(openapi.body.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.body.paths)).toEqual(expect.arrayContaining(['/v1/events', '/v1/metrics']));
  });
});
