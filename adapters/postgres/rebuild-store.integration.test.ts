// rebuildHour prepares an hour without the tenant's lock, then swaps it in under the lock only if the hour's `count`
// rollups kept their versions (docs/architecture.md#rule-7-replay-and-rebuild-are-different-tools). A live batch that
// lands in between must not be lost: the hour is computed again under the lock.
import { createTestEnv, type TestEnv } from '../../test/harness';
import { aggregateDelivery, keyPrincipal, rawEvent, requestSystemErasure } from '../../test/builders';
import { metricMismatches } from '../../test/recompute';
import { bucketStart } from '../../core/intervals';
import { rebuildHour } from './rebuild-store';
import { runErasureJob } from '../../functions/maintenance/erasure';
import { rebuildRange } from '../../functions/maintenance/rebuild';
import { putCatalogType } from '../../functions/query/catalog';

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
  const rebuild = (prepared?: (session: { pid: number }) => Promise<void>) =>
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

/** Per 1m bucket of the tenant, its raw events' count and the sum of its dimension rows' counts. */
async function dimensionTotals(tenantId: string) {
  return env.adapters.sql<{ b: Date; raw: number; cells: number }[]>`
    with raw as (
      select date_bin('1 minute', ts, timestamptz 'epoch') as b, count(*)::int as n from events
      where tenant_id = ${tenantId} group by 1
    ), cells as (
      select c.bucket_start as b, sum(c.count)::int as n from dimension_cells c
      join event_dimensions d on d.id = c.dimension_id
      where d.tenant_id = ${tenantId} and c.interval = '1m' group by 1
    )
    select b, coalesce(raw.n, 0) as raw, coalesce(cells.n, 0) as cells from raw full join cells using (b) order by b`;
}

it("a declared dimension's rows are prepared with the hour, and made again when a batch or a declaration lands meanwhile", async () => {
  // Prepare: `country` declared on `order`; dimension rows wrong (as after a fixed bug).
  const { tenant, order, rebuild } = await hourWithEvents();
  const admin = keyPrincipal(tenant.id, ['admin']);
  await putCatalogType(env.adapters, admin, 'order', { project: 'web', dimensions: ['country'] });
  await env.adapters.sql`
    update dimension_cells set count = count + 50
    where dimension_id in (select id from event_dimensions where tenant_id = ${tenant.id})`;

  // Act and assess: nothing meanwhile; then a late batch; then a second declared dimension.
  await rebuild(async () => undefined);
  for (const t of await dimensionTotals(tenant.id)) expect(t.cells).toBe(t.raw);
  await rebuild(() => deliver([order(200, 3)]));
  const totals = await dimensionTotals(tenant.id);
  expect(totals.reduce((a, t) => a + t.raw, 0)).toBe(3);
  for (const t of totals) expect(t.cells).toBe(t.raw);
  await rebuild(() =>
    putCatalogType(env.adapters, admin, 'order', { project: 'web', dimensions: ['country', 'plan'] }).then(
      () => undefined,
    ),
  );
  const [dims] = await env.adapters.sql<{ n: number }[]>`
    select count(distinct c.dimension_id)::int as n from dimension_cells c
    join event_dimensions d on d.id = c.dimension_id where d.tenant_id = ${tenant.id} and c.interval = '1m'`;
  expect(dims!.n).toBe(2);
  for (const t of await dimensionTotals(tenant.id)) expect(t.cells).toBe(t.raw * 2);
});

it('an erasure between preparation and swap is never undone, even on an hour whose count rows are missing', async () => {
  // Prepare: two persons' events in the hour; the hour's count rows lost (what a rebuild repairs), so the erasure
  // finds nothing to decrement.
  const tenant = await env.createTenant();
  const hour = bucketStart(Date.now() - 3 * HOUR, '1h');
  const event = (userId: string, second: number) =>
    rawEvent(tenant, { eventType: 'order', timestampMs: hour + second * 1000, userId, properties: { amount: 2 } });
  await deliver([event('erin', 1), event('erin', 61), event('olaf', 121)]);
  await env.adapters.sql`delete from rollups where tenant_id = ${tenant.id} and metric = 'count'`;
  const erase = async () => {
    const job = await requestSystemErasure(env.adapters, {
      tenantId: tenant.id,
      person: 'erin',
      projectIds: [tenant.project.id],
      actor: 'test',
    });
    expect(await runErasureJob(env.adapters, job)).toMatchObject({ status: 'done' });
  };

  // Act: the hour is prepared with erin's events, then erin is erased, then the swap.
  const r = await rebuildHour(
    env.adapters.sql,
    { tenantId: tenant.id, fromMs: hour, toMs: hour + HOUR, intervals: ['10s', '1m', '5m', '1h'] },
    { prepared: erase },
  );

  // Assess: only olaf's event is counted, and every rollup of the hour equals the raw rows.
  expect(r.events).toBe(1);
  const [c] = await env.adapters.sql<{ v: string }[]>`
    select value::text as v from rollups
    where tenant_id = ${tenant.id} and metric = 'count' and interval = '1h' and bucket_start = ${new Date(hour)}`;
  expect(Number(c!.v)).toBe(1);
  const bad = await metricMismatches(env.adapters.sql, tenant.id);
  expect(bad.sample.filter((x) => !JSON.stringify(x).includes('"1d"'))).toEqual([]);
});

it('a rebuild marks complete only the dimensions declared before it began', async () => {
  // Prepare: `country` declared; events in two hours of the day.
  const { tenant, order } = await hourWithEvents();
  const admin = keyPrincipal(tenant.id, ['admin']);
  await putCatalogType(env.adapters, admin, 'order', { project: 'web', dimensions: ['country'] });
  await deliver([order(-3600, 4)]);
  const hour = bucketStart(Date.now() - 3 * HOUR, '1h');
  const dayStart = bucketStart(hour - HOUR, '1d');

  // Act: `plan` is declared while the rebuild runs (after its first hour).
  let declaring: Promise<unknown> | undefined;
  await rebuildRange(
    env.adapters,
    { fromMs: hour - HOUR, toMs: hour + HOUR, tenantId: tenant.id },
    {
      onProgress: () => {
        declaring ??= putCatalogType(env.adapters, admin, 'order', { project: 'web', dimensions: ['country', 'plan'] });
      },
    },
  );
  await declaring;

  // Assess: country is complete from the rebuilt day; plan keeps the complete_from its declaration gave it.
  const rows = await env.adapters.sql<{ dimension: string; from: Date }[]>`
    select dimension, complete_from as from from event_dimensions where tenant_id = ${tenant.id} order by dimension`;
  const from = Object.fromEntries(rows.map((r) => [r.dimension, r.from.getTime()]));
  expect(from.country).toBe(dayStart);
  expect(from.plan).toBeGreaterThan(hour + HOUR);
});

it('an hour whose connection is lost between preparation and swap is done again on another connection', async () => {
  // Prepare
  const { tenant, count, rebuild } = await hourWithEvents();
  let terminated = 0;

  // Act: the reserved connection's backend is terminated while it waits between its two transactions.
  const r = await rebuild(async ({ pid }) => {
    const [row] = await env.adapters.sql<{ ok: boolean }[]>`select pg_terminate_backend(${pid}) as ok`;
    if (row!.ok) terminated++;
  });

  // Assess: the hour was rebuilt all the same.
  expect(terminated).toBe(1);
  expect(r.events).toBe(2);
  expect(await count()).toBe(2);
  expect(await metricMismatches(env.adapters.sql, tenant.id)).toMatchObject({ rollups: 0, sketches: 0 });
});
