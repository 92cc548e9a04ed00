// `customersignal rebuild` as a user runs it, against real Postgres and Redis, while the live aggregate handler keeps
// writing late events into the same range: every metric ends equal to a recomputation from the raw events, Redis
// holds the swapped-in values, other tenants are untouched, and a range past raw retention is refused.
import { runCli } from '../../test/child-process';
import { useTestEnv, type TestTenant } from '../../test/harness';
import { mskBatch, rawEvent } from '../../test/builders';
import { metricMismatches } from '../../test/recompute';
import { cacheDiffersFromStore } from '../../test/reads';
import { createAggregateHandler } from '../aggregate/handler';
import type { RawEvent } from '../../core/raw-event';

const HOUR = 3_600_000;
const {
  env,
  tenants: [tenant, other],
} = useTestEnv('rebuild', { tenants: 2 });
let secondProject: string;
let handler: ReturnType<typeof createAggregateHandler>;
let offset = 0;

beforeAll(async () => {
  secondProject = await env.createProject(tenant, 'app');
  handler = createAggregateHandler(env.adapters);
});

/** Varied events within the last 20 h (so every 10s bucket is still kept): two projects, numbers, nesting, no user. */
function events(t: TestTenant, n: number, seed: number): RawEvent[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, k) => {
    const i = seed + k;
    return rawEvent(t, {
      projectId: i % 4 === 0 && t === tenant ? secondProject : t.project.id,
      eventType: i % 3 === 0 ? 'purchase' : 'view',
      timestampMs: now - ((i * 7_919_000) % (20 * HOUR)),
      userId: i % 5 === 0 ? null : `u${i % 61}`,
      properties: {
        amount: (i % 7) / 10,
        qty: i % 11,
        nested: { x: i },
        'a.b': 3,
        label: `l${i % 3}`,
        ...(i % 2 ? { big: 12345678901.25 } : {}),
      },
    });
  });
}

/** Through the live aggregate handler, every batch delivered twice (as after a consumer restart). */
async function aggregate(list: RawEvent[]): Promise<void> {
  for (let i = 0; i < list.length; i += 100) {
    const batch = mskBatch('events_raw', list.slice(i, i + 100), 0, offset);
    offset += 100;
    await handler(batch);
    await handler(batch);
  }
}

async function versions(t: TestTenant): Promise<string> {
  const [row] = await env.adapters.sql<{ v: string }[]>`
    select (select coalesce(sum(version), 0) from rollups where tenant_id = ${t.id})::text || '/' ||
           (select coalesce(sum(version), 0) from rollup_sketches where tenant_id = ${t.id})::text as v`;
  return row!.v;
}

it('recomputes every metric from raw events while the live consumer writes, refreshes Redis, touches nothing else', async () => {
  // Prepare: both tenants aggregated live, with every batch redelivered: already exact.
  await aggregate([...events(tenant, 1_500, 0), ...events(other, 300, 0)]);
  expect(await metricMismatches(env.adapters.sql, tenant.id)).toEqual({ rollups: 0, sketches: 0, sample: [] });
  expect(await metricMismatches(env.adapters.sql, other.id)).toEqual({ rollups: 0, sketches: 0, sample: [] });

  // Damage the tenant's derived data: wrong counts and sums, lost sketches, a bucket no event backs.
  const sql = env.adapters.sql;
  await sql`update rollups set value = value + 3 where tenant_id = ${tenant.id} and interval in ('1m', '1d')`;
  await sql`delete from rollup_sketches where tenant_id = ${tenant.id} and interval in ('1h', '10s')`;
  const ghostBucket = new Date(Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR);
  await sql`insert into rollups (tenant_id, project_id, event_type, metric, interval, bucket_start, value, version)
            values (${tenant.id}, ${tenant.project.id}, 'ghost', 'count', '1h', ${ghostBucket}, 42, 7)`;
  const damaged = await metricMismatches(sql, tenant.id);
  expect(damaged.rollups).toBeGreaterThan(0);
  expect(damaged.sketches).toBeGreaterThan(0);
  const otherBefore = await versions(other);

  // Act: rebuild from yesterday while late events of the same range keep arriving through the live path.
  const from = new Date(Date.now() - 24 * HOUR).toISOString();
  const rebuild = runCli(env.config, ['--json', 'rebuild', '--from', from, '--tenant', tenant.slug]);
  let done = false;
  void rebuild.finally(() => (done = true));
  let live = 0;
  while (!done || live === 0) {
    await aggregate(events(tenant, 100, 10_000 + live));
    live += 100;
  }
  const result = await rebuild;

  // Assess
  expect(result.code).toBe(0);
  expect(result.stderr).toMatch(/^(rebuild: \d+\/\d+\n)+$/); // progress, without a terminal: plain lines
  const summary = JSON.parse(result.stdout);
  expect(summary).toMatchObject({ tenants: 1, tenant: tenant.slug });
  expect(summary.events).toBeGreaterThanOrEqual(1_500);
  expect(await metricMismatches(sql, tenant.id)).toEqual({ rollups: 0, sketches: 0, sample: [] });
  const [ghost] = await sql<{ value: string; version: string }[]>`
    select value::text, version::text from rollups where tenant_id = ${tenant.id} and event_type = 'ghost' and interval = '1h'`;
  expect(ghost!.value).toBe('0'); // kept at zero with a higher version, so Redis follows
  expect(BigInt(ghost!.version)).toBeGreaterThan(7n);
  expect(await versions(other)).toBe(otherBefore);

  // Redis holds what Postgres holds, version for version (the refresh went through the version guard).
  const differing = await cacheDiffersFromStore(env.adapters, tenant.id, 'differs');
  expect(differing.slice(0, 5)).toEqual([]);
}, 180_000);

it('refuses a range reaching past raw retention, and a bad time, with one clear line', async () => {
  const old = await runCli(env.config, ['rebuild', '--from', new Date(Date.now() - 40 * 24 * HOUR).toISOString()]);
  expect(old.code).toBe(1);
  expect(old.stderr).toMatch(
    /^error: raw events before \S+ are gone \(retention 30 days\), so their rollups are the only history left; rebuild from \S+ or later\n$/,
  );
  const bad = await runCli(env.config, ['rebuild', '--from', 'last week']);
  expect(bad.code).toBe(1);
  expect(bad.stderr.trim()).toBe(
    'error: --from must be an ISO time such as 2026-01-31 or 2026-01-31T12:00:00Z; got "last week"',
  );
}, 60_000);
