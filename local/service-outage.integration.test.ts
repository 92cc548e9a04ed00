// Postgres and then Redis stopped and restarted (test-owned instances) while the aggregate consumer works
// through a backlog: nothing dead-lettered, nothing lost, nothing double counted.
import { createTestEnv, eventually, type TestEnv, type TestTenant } from '../test/harness';
import { rawEvent } from '../test/builders';
import { encodeRawEvent } from '../core/raw-event';
import { startLocalRuntime, type LocalRuntime } from './runtime';
import {
  startThrowawayPostgres,
  startThrowawayRedis,
  type ThrowawayPostgres,
  type ThrowawayRedis,
} from '../test/throwaway-services';
import { rollupTotal, storedEventCount } from '../test/reads';

let pg: ThrowawayPostgres;
let redis: ThrowawayRedis;
let env: TestEnv;
let tenant: TestTenant;
let runtime: LocalRuntime | undefined;

beforeAll(async () => {
  pg = await startThrowawayPostgres();
  redis = await startThrowawayRedis();
  env = await createTestEnv('outages', { DATABASE_URL: pg.url, REDIS_URL: redis.url, AGGREGATE_BATCH_SIZE: '50' });
  tenant = await env.createTenant();
});
afterAll(async () => {
  await runtime?.stop();
  await env?.cleanup().catch(() => undefined);
  await pg?.destroy();
  await redis?.destroy();
});

async function stored(): Promise<number> {
  return storedEventCount(env.adapters.sql, tenant.id);
}

it('rides out a Postgres restart and a Redis restart without dead letters or lost events', async () => {
  const total = 3_000;
  const events = Array.from({ length: total }, (_, i) =>
    rawEvent(tenant, { eventType: 'outage_backlog', timestampMs: Date.now() - (i % 300) * 1_000 }),
  );
  for (let i = 0; i < total; i += 500) {
    await env.adapters.log.send(
      env.config.kafka.topics.eventsRaw,
      events.slice(i, i + 500).map((e) => ({ key: e.tenantId, value: encodeRawEvent(e) })),
    );
  }
  runtime = await startLocalRuntime(env.adapters, { http: false, scheduler: false, consumers: true });

  // Postgres goes away mid-way and comes back.
  const beforeOutage = await eventually(
    async () => {
      const n = await stored();
      return n > 0 ? n : undefined;
    },
    60_000,
    20,
  );
  await pg.stop();
  expect(beforeOutage).toBeLessThan(total); // the outage really hit the middle of the backlog
  await new Promise((r) => setTimeout(r, 2_000));
  await pg.start();
  // Then Redis.
  await redis.stop();
  await new Promise((r) => setTimeout(r, 1_000));
  await redis.start();

  await eventually(async () => ((await stored()) === total ? true : undefined), 120_000, 250);
  const [attempts] = await env.adapters.sql<{ n: number }[]>`select count(*)::int as n from record_attempts`;
  expect(attempts!.n).toBe(0);
  const admin = env.adapters.kafka.admin();
  await admin.connect();
  const dlq = await admin.fetchTopicOffsets(env.config.kafka.topics.eventsDlq);
  await admin.disconnect();
  expect(dlq.reduce((n, p) => n + Number(p.high), 0)).toBe(0);
  expect(await rollupTotal(env.adapters.sql, tenant.id)).toBe(total);
});
