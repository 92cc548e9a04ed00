// rebuildHour prepares an hour without the tenant's lock, then swaps it in under the lock only if the hour's `count`
// rollups kept their versions (docs/architecture.md#rule-7-replay-and-rebuild-are-different-tools). A live batch that
// lands in between must not be lost: the hour is computed again under the lock.
import { createTestEnv, type TestEnv } from '../../test/harness';
import { aggregateDelivery, rawEvent } from '../../test/builders';
import { metricMismatches } from '../../test/recompute';
import { bucketStart } from '../../core/intervals';
import { rebuildHour } from './rebuild-store';

let env: TestEnv;
const deliver = aggregateDelivery(() => env.adapters);

beforeAll(async () => {
  env = await createTestEnv('rebuild-store');
});
afterAll(() => env?.cleanup());

const HOUR = 3_600_000;

async function hourWithEvents() {
  const tenant = await env.createTenant();
  const hour = bucketStart(Date.now() - 3 * HOUR, '1h');
  const order = (second: number, amount: number) =>
    rawEvent(tenant, { eventType: 'order', timestampMs: hour + second * 1000, properties: { amount } });
  await deliver([order(1, 5), order(70, 7)]);
  // Rollups that differ from the raw rows (as after a fixed aggregation bug), so that a swap is visible.
  await env.adapters
    .sql`update rollups set value = value + 100 where tenant_id = ${tenant.id} and metric = 'count' and interval <> '1d'`;
  const count = async () => {
    const [r] = await env.adapters.sql<{ v: string }[]>`
      select value::text as v from rollups
      where tenant_id = ${tenant.id} and metric = 'count' and interval = '1h' and bucket_start = ${new Date(hour)}`;
    return Number(r!.v);
  };
  const rebuild = (prepared?: () => Promise<void>) =>
    rebuildHour(
      env.adapters.sql,
      { tenantId: tenant.id, fromMs: hour, toMs: hour + HOUR, intervals: ['10s', '1m', '5m', '1h'] },
      { prepared },
    );
  return { tenant, order, count, rebuild };
}

it('swaps in the prepared hour when nothing landed in it meanwhile', async () => {
  // Prepare
  const { tenant, count, rebuild } = await hourWithEvents();
  expect(await count()).toBe(102);

  // Act
  const r = await rebuild(async () => undefined);

  // Assess: the hour's rollups are the raw rows' again.
  expect(r.events).toBe(2);
  expect(await count()).toBe(2);
  expect(r.values.find((v) => v.metric === 'count' && v.interval === '1h')?.value).toBe(2);
  expect(await metricMismatches(env.adapters.sql, tenant.id)).toMatchObject({ rollups: 0, sketches: 0 });
});

it('computes the hour again under the lock when a live batch landed in it after its preparation', async () => {
  // Prepare
  const { tenant, order, count, rebuild } = await hourWithEvents();

  // Act: a late event of the hour is aggregated after the hour was prepared (from a snapshot without it).
  const r = await rebuild(() => deliver([order(130, 9)]));

  // Assess: the late event is counted, and every rollup of the hour equals the raw rows.
  expect(r.events).toBe(3);
  expect(await count()).toBe(3);
  expect(await metricMismatches(env.adapters.sql, tenant.id)).toMatchObject({ rollups: 0, sketches: 0 });
  // Nothing of the chunk is left in the session for the next user of its connection.
  const [left] = await env.adapters.sql<{ n: number }[]>`
    select count(*)::int as n from pg_class where relname like 'rb\\_%' and relpersistence = 't'`;
  expect(left!.n).toBe(0);
});
