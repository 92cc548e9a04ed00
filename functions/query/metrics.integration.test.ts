// GET /v1/metrics beyond count: unique_users from hll sketches, sum/avg from numeric rollups or raw events.
import { useTestEnv, type TestTenant } from '../../test/harness';
import { aggregateDelivery, mskBatch, rawEvent } from '../../test/builders';
import { createAggregateHandler } from '../aggregate/handler';
import { bucketStart } from '../../core/intervals';
import type { RawEvent } from '../../core/raw-event';
import type { Principal } from '../../core/api-keys';
import { createProject } from '../../adapters/postgres/tenants-store';
import { parseMetricsQuery, readMetric } from './metrics';

const { env } = useTestEnv('metrics');
const deliver = aggregateDelivery(() => env.adapters);

const HOUR = 3_600_000;

function principal(tenant: TestTenant, projectId: string | null = null, projectSlug: string | null = null): Principal {
  return { tenantId: tenant.id, keyId: 'test', scopes: ['read'], projectId, projectSlug };
}

async function metric(p: Principal, query: Record<string, string>) {
  const q = parseMetricsQuery(new URLSearchParams(query), Date.now());
  return (await readMetric(env.adapters, p, q)).points as { t: string; value: number | null }[];
}

async function flushRedis(tenant: TestTenant) {
  const keys = await env.adapters.redis.keys(`{${tenant.id}}:rollup:*`);
  if (keys.length > 0) await env.adapters.redis.del(...keys);
}

describe('unique_users', () => {
  it('estimates 100 000 distinct users within 2 %, the same from Redis and Postgres, hours as unions of minutes', async () => {
    // Prepare: 100 000 users over two minutes of one past hour; 1 000 of the first minute's come back in the
    // second; 500 events without a user id.
    const tenant = await env.createTenant();
    const hour = bucketStart(Date.now() - 2 * HOUR, '1h');
    const m1 = hour + 10 * 60_000;
    const m2 = m1 + 60_000;
    const events: RawEvent[] = [];
    for (let i = 0; i < 100_000; i++)
      events.push(
        rawEvent(tenant, {
          eventType: 'visit',
          userId: `user-${i}`,
          timestampMs: i < 50_000 ? m1 + (i % 60_000) : m2 + (i % 60_000),
          properties: {},
        }),
      );
    for (let i = 0; i < 1_000; i++)
      events.push(rawEvent(tenant, { eventType: 'visit', userId: `user-${i}`, timestampMs: m2 + i, properties: {} }));
    for (let i = 0; i < 500; i++)
      events.push(rawEvent(tenant, { eventType: 'visit', userId: null, timestampMs: m2 + i, properties: {} }));

    // Act
    await deliver(events, 5_000);
    const range = { event_type: 'visit', metric: 'unique_users', from: String(hour), to: String(hour + HOUR) };
    const hourly = await metric(principal(tenant), { ...range, interval: '1h' });
    const fromRedis = await metric(principal(tenant), { ...range, interval: '1h' });
    await flushRedis(tenant);
    const fromPostgres = await metric(principal(tenant), { ...range, interval: '1h' });
    const minutes = await metric(principal(tenant), { ...range, interval: '1m' });

    // Assess
    expect(hourly).toHaveLength(1);
    expect(Math.abs(hourly[0]!.value! - 100_000) / 100_000).toBeLessThanOrEqual(0.02);
    expect(fromRedis).toEqual(hourly);
    expect(fromPostgres).toEqual(hourly);
    const byMinute = new Map(minutes.map((p) => [Date.parse(p.t), p.value!]));
    expect(Math.abs(byMinute.get(m1)! - 50_000) / 50_000).toBeLessThanOrEqual(0.02);
    expect(Math.abs(byMinute.get(m2)! - 51_000) / 51_000).toBeLessThanOrEqual(0.02);
    // The hour's sketch is exactly the union of its minutes' sketches, so the estimates are identical.
    const [union] = await env.adapters.sql<{ n: string }[]>`
      select round(hll_cardinality(hll_union_agg(sketch)))::bigint::text as n from rollup_sketches
      where tenant_id = ${tenant.id} and event_type = 'visit' and interval = '1m' and bucket_start >= ${new Date(hour)} and bucket_start < ${new Date(hour + HOUR)}`;
    expect(Number(union!.n)).toBe(hourly[0]!.value);
    const day = await metric(principal(tenant), {
      ...range,
      interval: '1d',
      from: String(bucketStart(hour, '1d')),
      to: String(bucketStart(hour, '1d') + 24 * HOUR),
    });
    expect(day[0]!.value).toBe(hourly[0]!.value);
  }, 90_000);

  it('does not count events without a user id; a user in two minutes of an hour counts once in it', async () => {
    const tenant = await env.createTenant();
    const hour = bucketStart(Date.now() - HOUR, '1h');
    await deliver([
      rawEvent(tenant, { eventType: 'click', userId: 'a', timestampMs: hour + 1_000 }),
      rawEvent(tenant, { eventType: 'click', userId: 'a', timestampMs: hour + 61_000 }),
      rawEvent(tenant, { eventType: 'click', userId: 'b', timestampMs: hour + 61_000 }),
      rawEvent(tenant, { eventType: 'click', userId: null, timestampMs: hour + 2_000 }),
      rawEvent(tenant, { eventType: 'click', userId: null, timestampMs: hour + 62_000 }),
    ]);
    const range = { event_type: 'click', metric: 'unique_users', from: String(hour), to: String(hour + HOUR) };
    const minutes = await metric(principal(tenant), { ...range, interval: '1m' });
    expect(minutes.slice(0, 3).map((p) => p.value)).toEqual([1, 2, 0]);
    expect((await metric(principal(tenant), { ...range, interval: '1h' }))[0]!.value).toBe(2);
    expect((await metric(principal(tenant), { ...range, interval: '5m' }))[0]!.value).toBe(2);
    // Property filters: computed from raw rows with the same sketch algorithm.
    expect((await metric(principal(tenant), { ...range, interval: '1h', 'prop.plan': 'pro' }))[0]!.value).toBe(2);
    expect((await metric(principal(tenant), { ...range, interval: '1h', 'prop.plan': 'free' }))[0]!.value).toBe(0);
  });

  it('unions sketches across projects, and a cached union never outlives a change of one project', async () => {
    // Prepare: user x in both projects, y only in the second.
    const tenant = await env.createTenant();
    const other = await createProject(env.adapters.sql, tenant.id, 'app', 'App', 'open');
    const inOther = { id: tenant.id, project: { id: other.id, slug: other.slug } };
    const hour = bucketStart(Date.now() - HOUR, '1h');
    await deliver([
      rawEvent(tenant, { eventType: 'open', userId: 'x', timestampMs: hour + 1_000 }),
      rawEvent(inOther, { eventType: 'open', userId: 'x', timestampMs: hour + 2_000 }),
      rawEvent(inOther, { eventType: 'open', userId: 'y', timestampMs: hour + 3_000 }),
    ]);
    const q = {
      event_type: 'open',
      metric: 'unique_users',
      interval: '1h',
      from: String(hour),
      to: String(hour + HOUR),
    };

    // Act + Assess: estimates are not added, sketches are unioned; the second read comes from Redis.
    expect((await metric(principal(tenant), q))[0]!.value).toBe(2);
    expect((await metric(principal(tenant), q))[0]!.value).toBe(2);
    expect((await metric(principal(tenant), { ...q, project: 'web' }))[0]!.value).toBe(1);
    expect((await metric(principal(tenant, other.id, other.slug), q))[0]!.value).toBe(2);

    // A new user in one project: the aggregate step refreshes that project's estimate, and the cached union
    // (whose versions no longer match) is recomputed.
    await deliver([rawEvent(tenant, { eventType: 'open', userId: 'z', timestampMs: hour + 4_000 })]);
    expect((await metric(principal(tenant), q))[0]!.value).toBe(3);
    expect((await metric(principal(tenant), q))[0]!.value).toBe(3);
    await flushRedis(tenant);
    expect((await metric(principal(tenant), q))[0]!.value).toBe(3);
  });
});

describe('sum and avg', () => {
  it('are exact on decimals and big integers, identical from rollups, raw events and Redis; redelivery changes nothing', async () => {
    // Prepare: amounts 0.1 and 0.2, then 2^53, 1 and 1 (a double sum would lose the ones); strings do not count.
    const tenant = await env.createTenant();
    const hour = bucketStart(Date.now() - HOUR, '1h');
    const m1 = hour + 5 * 60_000;
    const m2 = m1 + 60_000;
    const events = [
      rawEvent(tenant, {
        eventType: 'order',
        timestampMs: m1 + 1,
        properties: { plan: 'pro', amount: 0.1, meta: { price: 0.1 } },
      }),
      rawEvent(tenant, {
        eventType: 'order',
        timestampMs: m1 + 2,
        properties: { plan: 'pro', amount: 0.2, meta: { price: 0.2 } },
      }),
      rawEvent(tenant, {
        eventType: 'order',
        timestampMs: m1 + 3,
        properties: { plan: 'pro', amount: '5', meta: { price: '5' } },
      }),
      rawEvent(tenant, {
        eventType: 'order',
        timestampMs: m2 + 1,
        properties: { plan: 'pro', amount: 2 ** 53, meta: { price: 2 ** 53 } },
      }),
      rawEvent(tenant, {
        eventType: 'order',
        timestampMs: m2 + 2,
        properties: { plan: 'pro', amount: 1, meta: { price: 1 } },
      }),
      rawEvent(tenant, {
        eventType: 'order',
        timestampMs: m2 + 3,
        properties: { plan: 'free', amount: 1, meta: { price: 1 } },
      }),
      rawEvent(tenant, { eventType: 'order', timestampMs: m2 + 4, properties: { plan: 'free' } }),
    ];
    const batch = mskBatch(env.config.kafka.topics.eventsRaw, events);
    const handler = createAggregateHandler(env.adapters);
    await handler(batch);
    const range = { event_type: 'order', interval: '1m', from: String(m1), to: String(m2 + 2 * 60_000) };
    const p = principal(tenant);

    // Act
    const sums = await metric(p, { ...range, metric: 'sum:amount' });
    const avgs = await metric(p, { ...range, metric: 'avg:amount' });
    const sumsRaw = await metric(p, { ...range, metric: 'sum:meta.price' });
    const avgsRaw = await metric(p, { ...range, metric: 'avg:meta.price' });
    const sumsCached = await metric(p, { ...range, metric: 'sum:amount' });
    await handler(batch); // redelivery
    await flushRedis(tenant);
    const sumsAfter = await metric(p, { ...range, metric: 'sum:amount' });
    const avgsAfter = await metric(p, { ...range, metric: 'avg:amount' });

    // Assess
    expect(sums.map((x) => x.value)).toEqual([0.3, 2 ** 53 + 2, 0]);
    expect(avgs.map((x) => x.value)).toEqual([0.15, (2 ** 53 + 2) / 3, null]);
    expect(sumsRaw).toEqual(sums);
    expect(avgsRaw).toEqual(avgs);
    expect(sumsCached).toEqual(sums);
    expect(sumsAfter).toEqual(sums);
    expect(avgsAfter).toEqual(avgs);
    const [stored] = await env.adapters.sql<{ s: string; n: string }[]>`
      select max(value) filter (where metric = 'sum:amount')::text as s, max(value) filter (where metric = 'n:amount')::text as n
      from rollups where tenant_id = ${tenant.id} and interval = '1h'`;
    expect(stored).toEqual({ s: String(2n ** 53n + 2n) + '.3', n: '5' });

    // Filters: from raw events, every metric.
    const pro = { ...range, interval: '1h', from: String(hour), to: String(hour + HOUR), 'prop.plan': 'pro' };
    expect((await metric(p, { ...pro, metric: 'count' }))[0]!.value).toBe(5);
    expect((await metric(p, { ...pro, metric: 'sum:amount' }))[0]!.value).toBe(2 ** 53 + 1.3);
    expect((await metric(p, { ...pro, metric: 'avg:amount' }))[0]!.value).toBe((2 ** 53 + 1.3) / 4);
    expect((await metric(p, { ...pro, metric: 'unique_users' }))[0]!.value).toBe(1);
  });
});

describe('a series read again', () => {
  it('answers the same points while none of its Redis pages changed, and new ones after a write or a lost page', async () => {
    const tenant = await env.createTenant();
    const hour = bucketStart(Date.now() - 2 * HOUR, '1h');
    const visit = (atMs: number) =>
      rawEvent(tenant, { eventType: 'visit', userId: 'u1', timestampMs: atMs, properties: {} });
    await deliver([visit(hour + 1_000)], 1);
    const q = { event_type: 'visit', interval: '1m', from: String(hour), to: String(hour + HOUR) };
    // The first read may miss in Redis (answered from Postgres, refilled); the next ones are whole from Redis.
    await metric(principal(tenant), q);
    const second = await metric(principal(tenant), q);
    const third = await metric(principal(tenant), q);
    expect(third).toBe(second);
    expect(third[0]!.value).toBe(1);

    // Another event type's write leaves the series' pages as they were.
    await deliver(
      [rawEvent(tenant, { eventType: 'other', userId: 'u1', timestampMs: hour + 1_000, properties: {} })],
      1,
    );
    expect(await metric(principal(tenant), q)).toBe(third);

    await deliver([visit(hour + 2 * 60_000)], 1);
    const fourth = await metric(principal(tenant), q);
    expect(fourth).not.toBe(third);
    expect(fourth.map((p) => p.value).slice(0, 3)).toEqual([1, 0, 1]);
    expect(await metric(principal(tenant), q)).toBe(fourth);

    await flushRedis(tenant);
    const fromPostgres = await metric(principal(tenant), q);
    expect(fromPostgres).not.toBe(fourth);
    expect(fromPostgres).toEqual(fourth);
    const refilled = await metric(principal(tenant), q);
    expect(refilled).not.toBe(fourth);
    expect(refilled).toEqual(fourth);
  });
});
