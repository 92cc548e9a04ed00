import { useTestEnv } from '../../test/harness';
import { mskBatch, rawEvent } from '../../test/builders';
import { createAggregateHandler } from '../aggregate/handler';
import { createMaintenanceHandler } from './handler';
import { partitionName, dayStart } from '../../adapters/postgres/partitions';
import { createTenantRetention } from '../../adapters/tenant-retention';
import { storedEventCount } from '../../test/reads';

const { env, tenant } = useTestEnv('retention', { tenants: 1 });

const DAY = 86_400_000;

it('drops expired partitions whole, forgets their dedupe ids, keeps long rollups, and old copies stay out', async () => {
  // Prepare: events stored 35 days ago (the clock of that day), and events from today.
  const realNow = Date.now();
  const then = realNow - 35 * DAY;
  const oldEvents = [
    rawEvent(tenant, { eventType: 'old', timestampMs: then - 3_600_000 }),
    rawEvent(tenant, { eventType: 'old', timestampMs: then - 3_600_000 + 1 }),
  ];
  const todays = [rawEvent(tenant, { eventType: 'today', timestampMs: realNow - 60_000 })];
  const topic = env.config.kafka.topics.eventsRaw;
  // `plan` is a declared dimension of 'old': its 1h rows outlive the raw events (it has no 10s rows, migration 020).
  await env.adapters.sql`
    insert into event_dimensions (tenant_id, project_id, event_type, dimension, max_values, complete_from)
    values (${tenant.id}, ${tenant.project.id}, 'old', 'plan', 1000, ${new Date(then - 2 * DAY)})`;
  await createAggregateHandler({ ...env.adapters, now: () => then })(mskBatch(topic, oldEvents));
  await createAggregateHandler(env.adapters)(mskBatch(topic, todays, 0, 10));
  const oldPartition = partitionName(dayStart(then - 3_600_000));
  const count = async (sqlText: string) => Number((await env.adapters.sql.unsafe(sqlText, [tenant.id]))[0]!.n);
  expect(await count(`select count(*) as n from ${oldPartition} where tenant_id = $1`)).toBe(2);
  // Bookkeeping of a poison record and a redrive from back then, and of a recent one.
  await env.adapters.sql`
    insert into record_attempts (topic, partition, "offset", tenant_id, fingerprint, attempts, first_error, last_error, first_failed_at, updated_at)
    values (${topic}, 0, 900, ${tenant.id}, '\\x00', 3, 'e', 'e', ${new Date(then)}, ${new Date(then)}),
           (${topic}, 0, 901, ${tenant.id}, '\\x01', 1, 'e', 'e', now(), now())`;
  await env.adapters.sql`
    insert into dlq_redrives (dlq_topic, dlq_partition, dlq_offset, tenant_id, target_topic, target_partition, target_offset, redriven_at)
    values ('dlq', 0, 1, ${tenant.id}, ${topic}, 0, 950, ${new Date(then)}), ('dlq', 0, 2, ${tenant.id}, ${topic}, 0, 951, now())`;

  // Act: maintenance today.
  const result = await createMaintenanceHandler(env.adapters)({});

  // Assess
  expect(result.droppedPartitions).toContain(oldPartition);
  expect(result.droppedPartitions).not.toContain(partitionName(dayStart(realNow)));
  expect(result.deletedRecordBookkeeping).toBe(2);
  expect(await count(`select count(*) as n from record_attempts where tenant_id = $1 and "offset" = 901`)).toBe(1);
  expect(await count(`select count(*) as n from dlq_redrives where tenant_id = $1 and dlq_offset = 2`)).toBe(1);
  expect(await count(`select count(*) as n from events where tenant_id = $1 and event_type = 'old'`)).toBe(0);
  expect(await count(`select count(*) as n from events where tenant_id = $1 and event_type = 'today'`)).toBe(1);
  expect(await count(`select count(*) as n from event_ids where tenant_id = $1`)).toBe(1);
  expect(
    await count(`select count(*) as n from rollups where tenant_id = $1 and event_type = 'old' and interval = '10s'`),
  ).toBe(0);
  expect(
    await count(
      `select count(*) as n from rollup_sketches where tenant_id = $1 and event_type = 'old' and interval = '10s'`,
    ),
  ).toBe(0);
  expect(
    await count(
      `select count(*) as n from rollup_sketches where tenant_id = $1 and event_type = 'old' and interval = '1h'`,
    ),
  ).toBe(1);
  expect(
    await count(
      `select coalesce(sum(value), 0) as n from rollups where tenant_id = $1 and event_type = 'old' and interval = '1h'`,
    ),
  ).toBe(2);
  const dims = `dimension_id in (select id from event_dimensions where tenant_id = $1 and event_type = 'old')`;
  for (const [table, interval, n] of [
    ['dimension_cells', '10s', 0],
    ['dimension_buckets', '10s', 0],
    ['dimension_buckets', '1h', 1],
  ] as const) {
    expect(await count(`select count(*) as n from ${table} where ${dims} and interval = '${interval}'`)).toBe(n);
  }
  expect(
    await count(
      `select coalesce(sum(c.count), 0) as n from dimension_cells c join dimension_values v using (dimension_id, value_key)
       where c.${dims} and c.interval = '1h' and v.value = 'pro'`,
    ),
  ).toBe(2);
  for (let d = 0; d <= 3; d++) {
    const [exists] = await env.adapters.sql`select to_regclass(${partitionName(dayStart(realNow) + d * DAY)}) as t`;
    expect(exists!.t).not.toBeNull();
  }

  // The same old copies redelivered today are dropped by the retention filter, never counted again.
  const outcome = await createAggregateHandler(env.adapters)(mskBatch(topic, oldEvents));
  expect(outcome).toMatchObject({ stored: 0, expired: 2 });
  expect(
    await count(
      `select coalesce(sum(value), 0) as n from rollups where tenant_id = $1 and event_type = 'old' and interval = '1h'`,
    ),
  ).toBe(2);
});

it("a tenant's own shorter retention: ingest-age events dropped by aggregation, older rows deleted by maintenance, others untouched", async () => {
  const short = await env.createTenant();
  const normal = await env.createTenant();
  await env.adapters.sql`update tenants set retention_days = 7 where id = ${short.id}`;
  const realNow = Date.now();
  const topic = env.config.kafka.topics.eventsRaw;
  // Stored 10 days ago (when they were within every retention), for both tenants.
  const then = realNow - 10 * DAY;
  const old = (t: typeof short) => rawEvent(t, { eventType: 'aging', timestampMs: then });
  const past = {
    ...env.adapters,
    now: () => then,
    retention: createTenantRetention(env.adapters.sql, env.config.limits.retentionMs, 0),
  };
  await createAggregateHandler(past)(mskBatch(topic, [old(short), old(normal)], 0, 100));
  const count = (t: typeof short) => storedEventCount(env.adapters.sql, t.id, 'aging');
  expect([await count(short), await count(normal)]).toEqual([1, 1]);

  // Today: an 8-day-old event is past the short tenant's retention only.
  const eightDays = (t: typeof short) => rawEvent(t, { eventType: 'aging', timestampMs: realNow - 8 * DAY });
  const outcome = await createAggregateHandler({
    ...env.adapters,
    retention: createTenantRetention(env.adapters.sql, env.config.limits.retentionMs, 0),
  })(mskBatch(topic, [eightDays(short), eightDays(normal)], 0, 200));
  expect(outcome).toMatchObject({ stored: 1, expired: 1 });

  const result = await createMaintenanceHandler(env.adapters)({});
  expect(result.deletedTenantEvents).toBe(1);
  expect([await count(short), await count(normal)]).toEqual([0, 2]);
  const [ids] = await env.adapters.sql<
    { n: number }[]
  >`select count(*)::int as n from event_ids where tenant_id = ${short.id}`;
  expect(ids!.n).toBe(0);
});
