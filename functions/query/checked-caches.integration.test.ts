// The Redis caches of breakdown rankings and percentile values (docs/architecture.md#metrics-engine): an entry is used
// only while the Postgres rows it was computed from keep their versions. Each test first shows that the entry is read
// (a planted wrong entry with the current versions is what the answer shows), then that new events and a rebuild
// (after raw events were deleted, so the rebuilt rows differ) make the read recompute from Postgres instead.
import { createTestEnv, type TestEnv, type TestTenant } from '../../test/harness';
import { aggregateDelivery, keyPrincipal, rawEvent } from '../../test/builders';
import { expectSeriesAddUp } from '../../test/breakdown-reference';
import { rebuildRange } from '../maintenance/rebuild';
import { bucketStart } from '../../core/intervals';
import { RELATIVE_ACCURACY } from '../../core/quantile-sketch';
import { parseMetricsQuery, readMetric } from './metrics';
import { readBreakdown } from './breakdown';
import { putCatalogType } from './catalog';
import { forgetBuiltBreakdowns } from '../../adapters/postgres/breakdown-reads';
import { jsonText } from '../http/json-text';

let env: TestEnv;
const deliver = aggregateDelivery(() => env.adapters);

beforeAll(async () => {
  env = await createTestEnv('checked-caches');
});
afterAll(() => env?.cleanup());

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** The tenant's one cache hash of `kind` ('bd' or 'pct'), with its fields. */
async function cacheEntry(tenant: TestTenant, kind: string): Promise<{ key: string; fields: Record<string, string> }> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await env.adapters.redis.scan(cursor, 'MATCH', `{${tenant.id}}:${kind}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  expect(keys).toHaveLength(1);
  return { key: keys[0]!, fields: await env.adapters.redis.hgetall(keys[0]!) };
}

/** A tenant with `country` declared on `order`, its dimension rows complete from the hour it returns (3 h ago). */
async function orderTenant(): Promise<{ tenant: TestTenant; hour: number }> {
  const tenant = await env.createTenant();
  await putCatalogType(env.adapters, keyPrincipal(tenant.id, ['admin']), 'order', {
    project: 'web',
    dimensions: ['country'],
  });
  const hour = bucketStart(Date.now() - 3 * HOUR, '1h');
  await env.adapters
    .sql`update event_dimensions set complete_from = ${new Date(hour)} where tenant_id = ${tenant.id} and event_type = 'order'`;
  return { tenant, hour };
}

/** GET /v1/metrics?event_type=order&interval=1m&breakdown=country&… as the tenant reads it; from the rollups. */
async function orderBreakdown(tenant: TestTenant, params: Record<string, string>) {
  const q = parseMetricsQuery(
    new URLSearchParams({ event_type: 'order', interval: '1m', breakdown: 'country', ...params }),
    Date.now(),
  );
  const answer = await readBreakdown(env.adapters, keyPrincipal(tenant.id, ['read']), {
    ...q,
    breakdown: q.breakdown!,
  });
  expect(answer.source).toBe('rollup');
  expectSeriesAddUp(answer);
  return answer;
}

it('a cached breakdown (ranking and parts) is used while its rollups keep their versions, and recomputed after new events and a rebuild', async () => {
  // Prepare: `country` declared (rows complete from the hour read), A leads B leads C.
  const { tenant, hour } = await orderTenant();
  const order = (country: string, minute: number, second: number) =>
    rawEvent(tenant, {
      eventType: 'order',
      timestampMs: hour + minute * MINUTE + second * 1000,
      properties: { country },
    });
  await deliver([
    order('A', 0, 1),
    order('A', 1, 2),
    order('A', 2, 3),
    order('B', 0, 4),
    order('B', 1, 5),
    order('C', 2, 6),
  ]);
  const top = async () =>
    (await orderBreakdown(tenant, { from: String(hour), to: String(hour + 4 * MINUTE), limit: '1' })).series[0]!.value;
  const [c] = await env.adapters.sql<{ key: string }[]>`
    select v.value_key as key from dimension_values v join event_dimensions d on d.id = v.dimension_id
    where d.tenant_id = ${tenant.id} and v.value = 'C'`;
  // A wrong answer under the versions of the entry the read cached: C first, with the parts the entry holds for the
  // value it ranked first (the parts of a cached answer add up, so Σ series = points holds for it too).
  const plantC = async () => {
    const entry = await cacheEntry(tenant, 'bd');
    const [versions, json] = entry.fields.r!.split('\n') as [string, string];
    const cached = JSON.parse(json) as { ranked: { key: string }[]; ranges: { keys: string[] }[] };
    const first = cached.ranked[0]!.key;
    const planted = {
      ranked: [{ key: c!.key, value: 'C' }],
      ranges: cached.ranges.map((cols) => ({ ...cols, keys: cols.keys.map((k) => (k === first ? c!.key : k)) })),
    };
    await env.adapters.redis.hset(entry.key, 'r', `${versions}\n${JSON.stringify(planted)}`);
  };

  // Act and assess: the first read ranks and caches (in Redis and built in this process). The planted Redis entry is
  // not read while this process holds the entry built under the same versions; a process without it serves it (and
  // then holds it).
  expect(await top()).toBe('A');
  await plantC();
  expect(await top()).toBe('A');
  forgetBuiltBreakdowns();
  expect(await top()).toBe('C');
  expect(await top()).toBe('C');
  // New events (B overtakes A): the rollups' versions moved, so neither the planted entry nor the one built from it
  // is used.
  await deliver([order('B', 3, 7), order('B', 3, 8), order('B', 0, 9)]);
  expect(await top()).toBe('B');
  // A rebuild after B's raw events were deleted: B gone, A first again, whatever the entry said.
  await plantC();
  forgetBuiltBreakdowns();
  expect(await top()).toBe('C');
  await env.adapters
    .sql`delete from events where tenant_id = ${tenant.id} and event_type = 'order' and properties ->> 'country' = 'B'`;
  await rebuildRange(env.adapters, { fromMs: hour, toMs: hour + HOUR, tenantId: tenant.id });
  expect(await top()).toBe('A');
}, 60_000);

it('a cached breakdown with compare=previous is recomputed after an event in the previous range alone', async () => {
  // Prepare: `country` declared (rows complete from the hour read); events in both 4-minute ranges.
  const { tenant, hour } = await orderTenant();
  const order = (country: string, minute: number) =>
    rawEvent(tenant, { eventType: 'order', timestampMs: hour + minute * MINUTE + 1000, properties: { country } });
  await deliver([order('A', 1), order('B', 5), order('A', 6)]);
  const previousTotals = async () => {
    const answer = await orderBreakdown(tenant, {
      from: String(hour + 4 * MINUTE),
      to: String(hour + 8 * MINUTE),
      compare: 'previous',
    });
    const sum = (ps: { value: unknown }[]) => ps.reduce((a, p) => a + (p.value as number), 0);
    return Object.fromEntries(answer.series.map((s) => [s.value, sum(s.previous!.points)]));
  };

  // Act and assess: cached, then an event in the previous range only (the main range's rollups keep their versions).
  expect(await previousTotals()).toEqual({ A: 1, B: 0 });
  expect(await previousTotals()).toEqual({ A: 1, B: 0 });
  await deliver([order('B', 2), order('B', 3)]);
  expect(await previousTotals()).toEqual({ A: 1, B: 2 });
}, 60_000);

it('an answer made of a checked breakdown entry is reused, text included, only while the entry is', async () => {
  // Prepare: `country` declared; A and B in the range read, sum:amount and count both asked.
  const { tenant, hour } = await orderTenant();
  const order = (country: string, minute: number, amount: number) =>
    rawEvent(tenant, {
      eventType: 'order',
      timestampMs: hour + minute * MINUTE + 1000,
      properties: { country, amount },
    });
  await deliver([order('A', 0, 5), order('B', 1, 7), order('A', 2, 1)]);
  const read = (metric: string) =>
    orderBreakdown(tenant, { from: String(hour), to: String(hour + 4 * MINUTE), metric });
  const text = (answer: object) => jsonText(answer);

  // Act and assess: the same entry gives the same series and points (one text), per metric asked.
  const first = await read('count');
  const again = await read('count');
  expect(again.series).toBe(first.series);
  expect(again.points).toBe(first.points);
  expect(text(again)).toBe(JSON.stringify(again));
  const sums = await read('sum:amount');
  expect(sums.series).not.toBe(first.series);
  expect(sums.series.map((x) => [x.value, x.total])).toEqual([
    ['B', 7],
    ['A', 6],
  ]);
  // A new event: the entry's versions moved, so the answer is made again from the new entry.
  await deliver([order('B', 3, 1)]);
  const after = await read('count');
  expect(after.series).not.toBe(first.series);
  expect(after.series.map((x) => [x.value, x.total])).toEqual([
    ['A', 2],
    ['B', 2],
  ]);
  expect(JSON.parse(text(after))).toEqual(JSON.parse(JSON.stringify(after)));
}, 60_000);

it('cached percentile values are used while the sketches keep their versions, and recomputed after new events and a rebuild', async () => {
  // Prepare: two minutes of amounts 1..100 and 1..50.
  const tenant = await env.createTenant();
  const hour = bucketStart(Date.now() - 3 * HOUR, '1h');
  const minutes = [hour + 5 * MINUTE, hour + 6 * MINUTE];
  const pay = (minute: number, amount: number) =>
    rawEvent(tenant, { eventType: 'pay', timestampMs: minute + (amount % 60) * 1000, properties: { amount } });
  const amounts: number[][] = [
    Array.from({ length: 100 }, (_, i) => i + 1),
    Array.from({ length: 50 }, (_, i) => i + 1),
  ];
  await deliver(amounts.flatMap((xs, m) => xs.map((a) => pay(minutes[m]!, a))));
  const p95 = async () => {
    const q = parseMetricsQuery(
      new URLSearchParams({
        event_type: 'pay',
        metric: 'p95:amount',
        interval: '1m',
        from: String(hour),
        to: String(hour + HOUR),
      }),
      Date.now(),
    );
    const points = (await readMetric(env.adapters, keyPrincipal(tenant.id, ['read']), q)).points as {
      t: string;
      value: number | null;
    }[];
    return minutes.map((t) => points.find((p) => Date.parse(p.t) === t)!.value);
  };
  const exact = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(0.95 * (xs.length - 1))]!;
  const expectExact = (got: (number | null)[]) =>
    got.forEach((v, m) =>
      expect(Math.abs(v! - exact(amounts[m]!))).toBeLessThanOrEqual(exact(amounts[m]!) * RELATIVE_ACCURACY),
    );
  // The first minute's cached percentiles replaced by 12345, under the versions they were cached with.
  const plant = async () => {
    const entry = await cacheEntry(tenant, 'pct');
    const field = String(minutes[0]);
    const versions = entry.fields[field]!.split(';')[0]!;
    await env.adapters.redis.hset(entry.key, field, `${versions};12345,12345,12345,12345`);
  };

  // Act and assess: computed and cached, then the planted value is served.
  expectExact(await p95());
  await plant();
  expect(await p95()).toEqual([12345, (await p95())[1]]);
  // New events in the first minute (amounts 101..200): its sketch's version moved.
  const more = Array.from({ length: 100 }, (_, i) => i + 101);
  amounts[0]!.push(...more);
  await deliver(more.map((a) => pay(minutes[0]!, a)));
  expectExact(await p95());
  // A rebuild after the raw events above 150 were deleted.
  await plant();
  expect((await p95())[0]).toBe(12345);
  await env.adapters
    .sql`delete from events where tenant_id = ${tenant.id} and event_type = 'pay' and (properties ->> 'amount')::numeric > 150`;
  amounts[0] = amounts[0]!.filter((a) => a <= 150);
  await rebuildRange(env.adapters, { fromMs: hour, toMs: hour + HOUR, tenantId: tenant.id });
  expectExact(await p95());
}, 60_000);
