import { runCli, type CliResult } from '../test/child-process';
import { useTestEnv, type TestTenant } from '../test/harness';
import { rawEvent } from '../test/builders';
import { metricMismatches } from '../test/recompute';
import { encodeRawEvent } from '../core/raw-event';
import { partitionRanges } from '../adapters/kafka/dlq';
import { rollupTotal, storedEventCount } from '../test/reads';

const N = 200;
const {
  env,
  tenants: [tenant, other],
} = useTestEnv('replay', { tenants: 2 });

function cli(...args: string[]): Promise<CliResult> {
  return runCli(env.config, args);
}

async function replay(...args: string[]) {
  const r = await cli('--json', 'replay', ...args);
  if (r.code !== 0) throw new Error(`replay ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function counts(t: TestTenant) {
  const sql = env.adapters.sql;
  return {
    events: await storedEventCount(sql, t.id, 'replayed'),
    rollup: await rollupTotal(sql, t.id, { eventType: 'replayed' }),
  };
}

async function forget(t: TestTenant) {
  const sql = env.adapters.sql;
  await sql`delete from events where tenant_id = ${t.id}`;
  await sql`delete from event_ids where tenant_id = ${t.id}`;
  await sql`delete from rollups where tenant_id = ${t.id}`;
  await sql`delete from rollup_sketches where tenant_id = ${t.id}`;
}

describe('cli replay', () => {
  it('restores what Postgres lost from events_raw, never double counts, filters by tenant, takes offsets', async () => {
    // Prepare: N events of the tenant in events_raw, keyed by tenant id as ingest does.
    const before = new Date(Date.now() - 60_000).toISOString();
    const events = Array.from({ length: N }, (_, i) =>
      rawEvent(tenant, { eventType: 'replayed', userId: `u${i % 17}`, properties: { amount: i / 4, n: { x: 1 } } }),
    );
    for (let i = 0; i < N; i += 50) {
      await env.adapters.log.send(
        env.config.kafka.topics.eventsRaw,
        events.slice(i, i + 50).map((e) => ({ key: tenant.id, value: encodeRawEvent(e) })),
      );
    }
    const total = (await partitionRanges(env.adapters.kafka, env.config.kafka.topics.eventsRaw)).reduce(
      (n, r) => n + r.high,
      0,
    );
    expect(total).toBe(N);

    // Act + Assess: the first replay stores everything.
    const first = await replay('--from', before);
    const admin = env.adapters.kafka.admin();
    await admin.connect();
    try {
      // The throwaway consumer group is gone.
      expect(
        (await admin.listGroups()).groups.filter((g) =>
          g.groupId.startsWith(`customersignal-read-${env.config.kafka.topics.eventsRaw}-`),
        ),
      ).toEqual([]);
    } finally {
      await admin.disconnect();
    }
    expect(first).toMatchObject({
      read: N,
      matched: N,
      stored: N,
      duplicates: 0,
      expired: 0,
      dead_lettered: 0,
      tenant: null,
    });
    expect(await counts(tenant)).toEqual({ events: N, rollup: N });

    // Postgres loses the tenant's rows; replay restores them exactly.
    await forget(tenant);
    expect(await counts(tenant)).toEqual({ events: 0, rollup: 0 });
    const restored = await replay('--from', before);
    expect(restored).toMatchObject({ read: N, matched: N, stored: N, duplicates: 0 });
    expect(await counts(tenant)).toEqual({ events: N, rollup: N });
    const [sketches] = await env.adapters.sql<
      { n: number }[]
    >`select count(*)::int as n from rollup_sketches where tenant_id = ${tenant.id}`;
    expect(sketches!.n).toBeGreaterThan(0);
    expect(await metricMismatches(env.adapters.sql, tenant.id)).toEqual({ rollups: 0, sketches: 0, sample: [] });

    // A third replay changes nothing.
    const third = await replay('--from', before);
    expect(third).toMatchObject({ read: N, matched: N, stored: 0, duplicates: N });
    expect(await counts(tenant)).toEqual({ events: N, rollup: N });

    // --tenant of another tenant: nothing of the first is handed over.
    await forget(tenant);
    const filtered = await replay('--from', before, '--tenant', other.slug);
    expect(filtered).toMatchObject({ read: N, matched: 0, stored: 0, tenant: other.slug });
    expect(await counts(tenant)).toEqual({ events: 0, rollup: 0 });

    // By offset, with the tenant's own filter.
    const byOffset = await replay('--from', '0', '--tenant', tenant.slug);
    expect(byOffset).toMatchObject({ read: N, matched: N, stored: N });
    expect(await counts(tenant)).toEqual({ events: N, rollup: N });

    // An empty range returns at once; a range after everything reads nothing.
    const empty = await replay('--from', new Date(Date.now() + 3_600_000).toISOString());
    expect(empty).toMatchObject({ read: 0, matched: 0, stored: 0 });
    const text = await cli('replay', '--from', '0', '--to', '0');
    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    expect(text.stdout.trim()).toBe(
      `replayed ${env.config.kafka.topics.eventsRaw}: read 0, matched 0, stored 0 new, 0 duplicates, 0 expired, 0 dead-lettered`,
    );
  }, 90_000);

  it('refuses a bad --from or an unknown tenant with one clear line', async () => {
    const bad = await cli('replay', '--from', 'yesterday');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(
      'error: --from must be an ISO time (2026-01-31T12:00:00Z) or an offset; got "yesterday"',
    );
    const unknown = await cli('replay', '--from', '0', '--tenant', 'no-such-tenant');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(
      'error: tenant "no-such-tenant" does not exist; create it with: customersignal tenant create no-such-tenant',
    );
  }, 30_000);
});
