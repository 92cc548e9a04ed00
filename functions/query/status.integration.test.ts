// GET /v1/status: data_as_of, lag_ms and events_last_minute per tenant; the maintenance check behind them.
import { useTestEnv, eventually } from '../../test/harness';
import { call } from '../../test/builders';
import { createMaintenanceHandler } from '../maintenance/handler';
import { createFreshnessCheck } from '../maintenance/freshness';
import { createFreshnessStore } from '../../adapters/redis/freshness-store';
import { logger } from '../../adapters/logger';
import { readStatus } from './freshness';

const {
  env,
  runtime,
  tenants: [busy, quiet],
} = useTestEnv('status', { tenants: 2, runtime: true });
let mobileKey: string;

beforeAll(async () => {
  mobileKey = await env.createKey(busy, ['ingest', 'read'], await env.createProject(busy, 'mobile'));
});

const status = async (key: string) => {
  const res = await call(runtime.url, '/v1/status', { key });
  expect(res.status).toBe(200);
  return res.body as { data_as_of: string | null; lag_ms: number | null; events_last_minute: number };
};

/** Runs the scheduled maintenance at a chosen time until its check finds the group caught up. */
async function catchUpAt(clock: () => number): Promise<number> {
  return eventually(
    async () => {
      const at = clock();
      const { freshness } = await createMaintenanceHandler({ ...env.adapters, now: () => at })({});
      return freshness?.caughtUpAtCheck ? at : undefined;
    },
    30_000,
    200,
  );
}

it('knows nothing before any event or check', async () => {
  expect(await status(quiet.keys.read)).toEqual({ data_as_of: null, lag_ms: null, events_last_minute: 0 });
});

it('counts the tenant’s events of the last minute exactly, over every event type and project; a project-bound key its project only', async () => {
  // Act
  const sentAt = Date.now();
  const web = {
    events: Array.from({ length: 7 }, (_, i) => ({ event_type: i % 2 ? 'signup' : 'Order Completed', project: 'web' })),
  };
  expect((await call(runtime.url, '/v1/events', { key: busy.keys.ingest, json: web })).status).toBe(202);
  expect(
    (
      await call(runtime.url, '/v1/events', {
        key: mobileKey,
        json: { events: [{ event_type: 'tap' }, { event_type: 'tap' }, { event_type: 'open' }] },
      })
    ).status,
  ).toBe(202);

  // Assess
  await eventually(async () => ((await status(busy.keys.read)).events_last_minute === 10 ? true : undefined));
  const own = await status(busy.keys.read);
  expect(own.events_last_minute).toBe(10);
  expect(Date.parse(own.data_as_of!)).toBeGreaterThanOrEqual(sentAt - 1_000);
  expect((await status(mobileKey)).events_last_minute).toBe(3);
  expect((await status(quiet.keys.read)).events_last_minute).toBe(0);
  expect((await call(runtime.url, '/v1/status', { key: busy.keys.ingest })).status).toBe(403);
  expect((await call(runtime.url, '/v1/status')).status).toBe(401);
});

it('a quiet tenant’s data_as_of follows the pipeline once it is caught up, and lag_ms is 0', async () => {
  // Act: the group has processed everything (previous test); the check at T publishes T.
  const t1 = await catchUpAt(() => Date.now());

  // Assess
  expect(await status(quiet.keys.read)).toEqual({
    data_as_of: new Date(t1).toISOString(),
    lag_ms: 0,
    events_last_minute: 0,
  });
  expect((await status(busy.keys.read)).data_as_of).toBe(new Date(t1).toISOString());

  // A later check moves it on; it never moves back.
  const t2 = await catchUpAt(() => t1 + 5_000);
  expect((await status(quiet.keys.read)).data_as_of).toBe(new Date(t2).toISOString());
  await catchUpAt(() => t1 - 60_000);
  expect((await status(quiet.keys.read)).data_as_of).toBe(new Date(t2).toISOString());
});

it('lag_ms is now − data_as_of once the newest check is stale', async () => {
  const t = await catchUpAt(() => Date.now());
  const principal = { tenantId: quiet.id, keyId: 'k', scopes: ['read' as const], projectId: null, projectSlug: null };
  const later = t + 3 * env.config.schedulerTickMs + 1;
  expect(await readStatus({ ...env.adapters, now: () => t + 1_000 }, principal)).toMatchObject({ lag_ms: 0 });
  const through = (await env.adapters.freshness.read()).caughtUpThroughMs!; // t, or later if an earlier check was
  expect(through).toBeGreaterThanOrEqual(t);
  expect(await readStatus({ ...env.adapters, now: () => later }, principal)).toEqual({
    data_as_of: new Date(through).toISOString(),
    lag_ms: later - through,
    events_last_minute: 0,
  });
});

it('logs consumer lag per partition at INFO while there is lag, and stays quiet when nothing changed', async () => {
  const info = jest.spyOn(logger, 'info');
  try {
    // A group that never consumed the topic lags by every event in it, and is never caught up.
    const group = `nobody_${env.runId}`;
    const kafka = { ...env.config.kafka, groups: { ...env.config.kafka.groups, aggregate: group } };
    const lagging = createFreshnessCheck({
      ...env.adapters,
      config: { ...env.config, kafka },
      freshness: createFreshnessStore(env.adapters.redis, group, kafka.topics.eventsRaw),
    });
    const state = await lagging();
    expect(state.caughtUpThroughMs).toBeNull();
    const [, fields] = info.mock.calls.find(([m]) => m === 'consumer lag') as [
      string,
      { consumer_lag: { total: number; partitions: { partition: number; lag: number }[] } },
    ];
    expect(fields.consumer_lag.total).toBe(10);
    expect(fields.consumer_lag.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    await env.adapters.redis.del(`{pipeline}:freshness:${group}:${encodeURIComponent(kafka.topics.eventsRaw)}`);

    // The real group, caught up: the first check logs (new), the next identical one does not.
    const check = createFreshnessCheck(env.adapters);
    await eventually(async () => ((await check()).caughtUpAtCheck ? true : undefined));
    info.mockClear();
    await check();
    expect(info.mock.calls.filter(([m]) => m === 'consumer lag')).toEqual([]);
  } finally {
    info.mockRestore();
  }
});

it('never shows consumer lag in the unauthenticated /readyz', async () => {
  expect((await call(runtime.url, '/readyz')).body).toEqual({
    status: 'ready',
    checks: { kafka: 'ok', postgres: 'ok', redis: 'ok' },
  });
});
