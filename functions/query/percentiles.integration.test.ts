// GET /v1/metrics p50/p90/p95/p99 (docs/api.md#metrics): from the stored quantile sketches, from raw events for
// filters and nested paths, after a rebuild and after a replay, each checked against the exact percentile of the
// generated values.
import { createTestEnv, type TestEnv, type TestTenant } from '../../test/harness';
import { aggregateDelivery, keyPrincipal, rawEvent } from '../../test/builders';
import { rebuildRange } from '../maintenance/rebuild';
import { bucketStart, type Interval } from '../../core/intervals';
import { RELATIVE_ACCURACY } from '../../core/quantile-sketch';
import type { RawEvent } from '../../core/raw-event';
import type { Principal } from '../../core/api-keys';
import { createProject } from '../../adapters/postgres/tenants-store';
import { applyRetention } from '../../adapters/postgres/retention';
import { encodeRawEvent } from '../../core/raw-event';
import { runCli } from '../../test/child-process';
import { parseMetricsQuery, readMetric } from './metrics';

let env: TestEnv;
const deliver = aggregateDelivery(() => env.adapters);

beforeAll(async () => {
  env = await createTestEnv('percentiles');
});
afterAll(() => env?.cleanup());

const HOUR = 3_600_000;
const KINDS = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 } as const;

/** A small deterministic generator (mulberry32), so a failure can be reproduced. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const principal = (tenant: TestTenant): Principal => keyPrincipal(tenant.id, ['read']);

async function points(tenant: TestTenant, query: Record<string, string>) {
  const q = parseMetricsQuery(new URLSearchParams(query), Date.now());
  return (await readMetric(env.adapters, principal(tenant), q)).points as { t: string; value: number | null }[];
}

/** The exact percentile the sketch estimates: the value of rank ⌊q·(n−1)⌋ of the sorted values. */
function exact(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

it('pNN of uniform, log-normal and heavy-tailed values over two projects within 0.99 %, rollups = raw = rebuilt = replayed', async () => {
  // Prepare: two projects, two minutes of one past hour; each event carries three distributions, a nested copy
  // and a filterable tag. Part of the events is redelivered (a Kafka retry) and duplicated inside a batch.
  const tenant = await env.createTenant();
  const other = await createProject(env.adapters.sql, tenant.id, 'second', 'Second', 'open');
  const hour = bucketStart(Date.now() - 3 * HOUR, '1h');
  const minutes = [hour + 5 * 60_000, hour + 6 * 60_000];
  const next = random(17);
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const events: RawEvent[] = [];
  for (let i = 0; i < 4_000; i++) {
    const ln = Math.exp(3 + 1.5 * normal());
    const project = i % 3 === 0 ? other : tenant.project;
    events.push(
      rawEvent(
        { id: tenant.id, project: { id: project.id, slug: project.slug } },
        {
          eventType: 'request',
          timestampMs: minutes[i % 2]! + Math.floor(next() * 60_000),
          properties: {
            uniform: Math.round((next() * 1_050 - 50) * 100) / 100,
            lognormal: ln,
            heavy: 10 / Math.pow(1 - next(), 1 / 1.1), // Pareto, α = 1.1
            nested: { lognormal: ln },
            tag: 'all',
          },
        },
      ),
    );
  }
  await deliver(events.slice(0, 2_500));
  await deliver([...events.slice(2_000), ...events.slice(3_000, 3_200)]); // redelivery and in-batch copies

  const cases: { path: string; interval: Interval; buckets: number[] }[] = [];
  for (const path of ['uniform', 'lognormal', 'heavy']) {
    cases.push({ path, interval: '1m', buckets: minutes }, { path, interval: '1h', buckets: [hour] });
  }
  const valuesOf = (path: string, interval: Interval, t: number) =>
    events
      .filter((e) => bucketStart(e.timestampMs, interval) === t)
      .map((e) =>
        path === 'nested.lognormal' ? (e.properties.nested as { lognormal: number }).lognormal : e.properties[path],
      )
      .map(Number);

  const read = async (path: string, interval: Interval, kind: string, extra: Record<string, string> = {}) =>
    points(tenant, {
      event_type: 'request',
      metric: `${kind}:${path}`,
      interval,
      from: String(hour),
      to: String(hour + HOUR),
      ...extra,
    });

  // Act and assess: every percentile of every bucket within the bound; the raw path (a filter matching every event)
  // answers the very same numbers; a nested path (raw events only) is within the bound too.
  const answers: unknown[] = [];
  for (const c of cases) {
    for (const [kind, q] of Object.entries(KINDS)) {
      const got = await read(c.path, c.interval, kind);
      const raw = await read(c.path, c.interval, kind, { 'prop.tag': 'all' });
      expect(raw).toEqual(got);
      answers.push(got);
      const byT = new Map(got.map((p) => [Date.parse(p.t), p.value]));
      for (const t of c.buckets) {
        const want = exact(valuesOf(c.path, c.interval, t), q)!;
        const value = byT.get(t)!;
        expect(Math.abs(value - want)).toBeLessThanOrEqual(RELATIVE_ACCURACY * Math.abs(want));
      }
      // A bucket without values is null, like avg.
      expect(got.filter((p) => !c.buckets.includes(Date.parse(p.t))).every((p) => p.value === null)).toBe(true);
    }
  }
  for (const [kind, q] of Object.entries(KINDS)) {
    const nested = await read('nested.lognormal', '1m', kind);
    const flat = await read('lognormal', '1m', kind);
    expect(nested).toEqual(flat); // the same values, one from raw rows, one from the stored sketches
    for (const t of minutes) {
      const want = exact(valuesOf('nested.lognormal', '1m', t), q)!;
      const value = nested.find((p) => Date.parse(p.t) === t)!.value!;
      expect(Math.abs(value - want)).toBeLessThanOrEqual(RELATIVE_ACCURACY * Math.abs(want));
    }
  }

  // Rebuild from raw events after the stored sketches were lost: the same rows, hence the same answers.
  const stored = async () =>
    env.adapters.sql`
      select project_id, event_type, path, interval, bucket_start, n::text, min_value, max_value, bins, counts
      from quantile_sketches where tenant_id = ${tenant.id} order by project_id, path, interval, bucket_start`;
  const before = await stored();
  expect(before.length).toBeGreaterThan(0);
  await env.adapters.sql`delete from quantile_sketches where tenant_id = ${tenant.id}`;
  await rebuildRange(env.adapters, { fromMs: hour, tenantId: tenant.id });
  expect(await stored()).toEqual(before);
  const after: unknown[] = [];
  for (const c of cases) for (const kind of Object.keys(KINDS)) after.push(await read(c.path, c.interval, kind));
  expect(after).toEqual(answers);

  // Replay (`customersignal replay`) of events_raw after Postgres lost the tenant's rows, duplicates included:
  // the same rows again, hence the same answers.
  const since = new Date(Date.now() - 60_000).toISOString();
  const records = [...events, ...events.slice(0, 300)].map((e) => ({ key: tenant.id, value: encodeRawEvent(e) }));
  for (let i = 0; i < records.length; i += 500)
    await env.adapters.log.send(env.config.kafka.topics.eventsRaw, records.slice(i, i + 500));
  for (const table of ['events', 'event_ids', 'rollups', 'rollup_sketches', 'quantile_sketches'])
    await env.adapters.sql`delete from ${env.adapters.sql(table)} where tenant_id = ${tenant.id}`;
  const replay = await runCli(env.config, ['--json', 'replay', '--from', since]);
  expect(replay.code).toBe(0);
  expect(JSON.parse(replay.stdout)).toMatchObject({ stored: events.length, duplicates: 300 });
  expect(await stored()).toEqual(before);
  const replayed: unknown[] = [];
  for (const c of cases) for (const kind of Object.keys(KINDS)) replayed.push(await read(c.path, c.interval, kind));
  expect(replayed).toEqual(answers);

  // Retention deletes the 10s sketches with the 10s rollups and keeps the longer intervals.
  const intervals = async () =>
    (
      await env.adapters.sql<{ i: string }[]>`
        select distinct interval as i from quantile_sketches where tenant_id = ${tenant.id} order by 1`
    ).map((r) => r.i);
  expect(await intervals()).toEqual(['10s', '1d', '1h', '1m', '5m']);
  await applyRetention(env.adapters.sql, Date.now() + 24 * HOUR, 365 * 24 * HOUR, [
    { interval: '10s', keepMs: 25 * HOUR },
  ]);
  expect(await intervals()).toEqual(['1d', '1h', '1m', '5m']);
}, 180_000);
