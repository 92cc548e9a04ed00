// Erasure and access (docs/api.md#erasure-and-access) end to end, through the real runtime (HTTP → Kafka → aggregate)
// on real Postgres and Redis: persons with merged ids in two projects, count/sum metrics, unique users, percentiles
// and a declared dimension. After DELETE /v1/users/{id} every derived row equals a recomputation from the remaining
// raw events (the same rows a full rebuild gives, and a GROUP BY over the raw table), the person appears nowhere
// (raw events, explorer, export, people tables, Redis, warm metric answers), and a redelivery of the erased events
// through Kafka stores nothing. A job that dies mid-way is finished by the next maintenance run. Roles and odd ids.
import fc from 'fast-check';
import postgres from 'postgres';
import { APP_ROLE } from '../../adapters/postgres/app-role';
import { randomUUID } from 'node:crypto';
import { useTestEnv, eventually } from '../../test/harness';
import { call, requestSystemErasure as requestErasure } from '../../test/builders';
import { runCli } from '../../test/child-process';
import { metricMismatches } from '../../test/recompute';
import { cacheDiffersFromStore } from '../../test/reads';
import { rebuildRange } from '../maintenance/rebuild';
import { runErasureJob } from '../maintenance/erasure';
import { createMaintenanceHandler } from '../maintenance/handler';
import { HLL_PARAMS } from '../../adapters/postgres/aggregate-store';
import type { Sql } from '../../adapters/postgres/client';
import type { Adapters } from '../../adapters';

const HOUR = 3_600_000;
const {
  env,
  tenants: [tenant, zoned],
  runtime,
} = useTestEnv('erasure', {
  tenants: 2,
  runtime: { consumers: true },
  overrides: { RATE_LIMIT_EVENTS_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000' },
});
const url = () => runtime.url;
let appProject: string;
const startedAt = Date.now();

interface Ev {
  event_id: string;
  event_type: string;
  project: string;
  timestamp: string;
  user_id?: string;
  properties: Record<string, unknown>;
}

/** A person's ids: the first is the person id (what the others are merged into). */
const PERSONS: Record<string, string[]> = {
  alice: ['alice', 'anon-a1', 'anon-a2'],
  bob: ['bob', 'anon-b1'],
  carol: ['carol'],
  'Zoë 🎉/%': ['Zoë 🎉/%'],
  // Written by the test of live writes during an erasure only.
  erin: ['erin'],
  dave: ['dave'],
};
const COUNTRIES = ['DE', 'FR', 'US', 'JP'];

/** Events spread over the last 20 h (every 10s bucket still kept), both projects, some without a user. */
function eventsOf(person: string | null, n: number, seed: number): Ev[] {
  const ids = person === null ? [null] : PERSONS[person]!;
  return Array.from({ length: n }, (_, k) => {
    const i = seed + k;
    const id = ids[i % ids.length];
    return {
      event_id: `e-${person ?? 'none'}-${i}-${randomUUID().slice(0, 8)}`,
      event_type: i % 3 === 0 ? 'view' : 'purchase',
      project: i % 4 === 1 ? 'app' : 'web',
      timestamp: new Date(startedAt - ((i * 7_919_000 + seed * 13_000) % (20 * HOUR)) - 60_000).toISOString(),
      ...(id !== null ? { user_id: id } : {}),
      // Alice alone has been to Wonderland: a dimension value only her events carry.
      properties: {
        amount: ((i * 37) % 1000) / 10,
        country: person === 'alice' && i % 10 === 0 ? 'Wonderland' : COUNTRIES[i % 4],
        qty: i % 7,
      },
    };
  });
}

const all: Ev[] = [];
async function ingest(events: Ev[]): Promise<void> {
  for (let i = 0; i < events.length; i += 200) {
    const res = await call(url(), '/v1/events', {
      key: tenant.keys.ingest,
      json: { events: events.slice(i, i + 200) },
    });
    expect(res.status).toBe(202);
  }
}

async function storedCount(): Promise<number> {
  const [row] = await env.adapters.sql<
    { n: number }[]
  >`select count(*)::int as n from events where tenant_id = ${tenant.id}`;
  return row!.n;
}

/** Every derived row of the tenant (tables keyed by tenant, interval and bucket), without versions, sorted. */
async function derivedRows(sql: Sql, tenantId = tenant.id): Promise<Record<string, string[]>> {
  const tables = await sql<{ t: string }[]>`
    select c.table_name as t from information_schema.columns c join information_schema.tables x using (table_schema, table_name)
    where c.table_schema = 'public' and x.table_type = 'BASE TABLE' and c.column_name in ('tenant_id', 'interval', 'bucket_start')
    group by 1 having count(*) = 3 order by 1`;
  const out: Record<string, string[]> = {};
  for (const { t } of tables) {
    // The name comes from the catalog query above. A rollup value is compared as a number: the erasure's decrement
    // keeps the decimal scale of what it subtracted (12 + 7.5 - 7.5 is 12.0 where a rebuild of the rest sums 12).
    const value = t === 'rollups' ? `|| jsonb_build_object('value', trim_scale(x.value))` : '';
    const rows = await sql.unsafe<{ r: string }[]>(
      `select (to_jsonb(x) - 'version' - 'updated_at' ${value})::text as r from "${t}" x where tenant_id = $1`,
      [tenantId],
    );
    out[t] = rows.map((r) => r.r).sort();
  }
  // Declared-dimension tables are keyed by the dimension's id (migration 020), not by tenant.
  for (const t of ['dimension_cells', 'dimension_buckets', 'dimension_values']) {
    const rows = await sql.unsafe<{ r: string }[]>(
      `select to_jsonb(x)::text as r from "${t}" x join event_dimensions d on d.id = x.dimension_id where d.tenant_id = $1`,
      [tenantId],
    );
    out[t] = rows.map((r) => r.r).sort();
  }
  return out;
}

/** Redis holds what Postgres holds for every rollup and unique-users key it has (version for version). */
async function redisDiffers(): Promise<unknown[]> {
  return cacheDiffersFromStore(env.adapters, tenant.id, 'ignored');
}

/** GET /v1/metrics (1h over the last day) against the raw table: counts and unique users per hour. */
async function metricAnswersMatchRaw(): Promise<void> {
  const sql = env.adapters.sql;
  const { log2m, regwidth, expthresh, sparseon } = HLL_PARAMS;
  const from = Math.floor((startedAt - 24 * HOUR) / HOUR) * HOUR;
  for (const eventType of ['purchase', 'view']) {
    const raw = await sql<{ t: Date; n: string; u: string }[]>`
      select date_bin('1 hour', ts, timestamptz 'epoch') as t, count(*)::text as n,
             coalesce(round(hll_cardinality(hll_add_agg(hll_hash_text(user_id), ${log2m}, ${regwidth}, ${expthresh}, ${sparseon})
               filter (where user_id is not null))), 0)::bigint::text as u
      from events where tenant_id = ${tenant.id} and event_type = ${eventType} and ts >= ${new Date(from)}
      group by 1`;
    const expected = (k: 'n' | 'u') => new Map(raw.map((r) => [r.t.toISOString(), Number(r[k])]));
    for (const [metric, k] of [
      ['count', 'n'],
      ['unique_users', 'u'],
    ] as const) {
      const res = await call(
        url(),
        `/v1/metrics?event_type=${eventType}&metric=${metric}&interval=1h&from=${from}&to=${startedAt + HOUR}`,
        { key: tenant.keys.read },
      );
      expect(res.status).toBe(200);
      const want = expected(k);
      const got = (res.body.points as { t: string; value: number }[]).filter((p) => (want.get(p.t) ?? 0) !== p.value);
      expect({ eventType, metric, differing: got }).toEqual({ eventType, metric, differing: [] });
    }
  }
}

async function waitForJob(id: string): Promise<Record<string, unknown>> {
  return eventually(
    async () => {
      const r = await call(url(), `/v1/erasures/${id}`, { key: tenant.keys.admin });
      return r.body.status === 'done' ? (r.body as Record<string, unknown>) : undefined;
    },
    60_000,
    200,
  );
}

/** What the person's ids left anywhere in the tenant's tables (all zero after an erasure). */
async function traces(ids: string[], eventIds: string[]) {
  const sql = env.adapters.sql;
  const a = sql.array(ids);
  const e = sql.array(eventIds);
  const [row] = await sql<Record<string, number>[]>`
    select
      (select count(*) from events where tenant_id = ${tenant.id} and (user_id = any(${a}) or anonymous_id = any(${a})))::int as events,
      (select count(*) from events where tenant_id = ${tenant.id} and event_id = any(${e}))::int as event_rows,
      (select count(*) from event_ids where tenant_id = ${tenant.id} and event_id = any(${e}))::int as event_ids,
      (select count(*) from distinct_ids where tenant_id = ${tenant.id} and (distinct_id = any(${a}) or person_id = any(${a})))::int as distinct_ids,
      (select count(*) from persons where tenant_id = ${tenant.id} and person_id = any(${a}))::int as persons,
      (select count(*) from identity_merges where tenant_id = ${tenant.id} and (from_id = any(${a}) or into_id = any(${a})))::int as merges`;
  return row!;
}

/** The people tables as the merge writer keeps them (set here over what writeBatch wrote: the writer is not this test's subject). */
async function writePeople(): Promise<void> {
  const sql = env.adapters.sql;
  for (const [person, ids] of Object.entries(PERSONS)) {
    await sql`
      insert into distinct_ids (tenant_id, project_id, distinct_id, person_id, identified, first_seen, last_seen, event_count)
      select e.tenant_id, e.project_id, e.user_id, ${person}, e.user_id = ${person}, min(e.ts), max(e.ts), count(*)
      from events e where e.tenant_id = ${tenant.id} and e.user_id = any(${sql.array(ids)})
      group by 1, 2, 3
      on conflict (tenant_id, project_id, distinct_id)
      do update set person_id = excluded.person_id, identified = excluded.identified`;
    await sql`
      insert into persons (tenant_id, project_id, person_id, traits, traits_at)
      select distinct tenant_id, project_id, ${person}, ${sql.json({ email: `${person}@example.com` })}, now()
      from events where tenant_id = ${tenant.id} and user_id = any(${sql.array(ids)})
      on conflict (tenant_id, project_id, person_id) do update set traits = excluded.traits, traits_at = excluded.traits_at`;
    for (const from of ids.slice(1)) {
      const [ev] = await sql<{ project_id: string; event_id: string; ts: Date }[]>`
        select project_id, event_id, ts from events where tenant_id = ${tenant.id} and user_id = ${from} order by ts limit 1`;
      await sql`
        insert into identity_merges (tenant_id, project_id, event_id, ts, from_id, into_id, outcome)
        values (${tenant.id}, ${ev!.project_id}, ${ev!.event_id}, ${ev!.ts}, ${from}, ${person}, 'merged')`;
    }
  }
  // A refused merge: one of carol's events also carried alice's anonymous id (alice's id stays alice's).
  const [ev] = await sql<{ project_id: string; event_id: string; ts: Date }[]>`
    select project_id, event_id, ts from events where tenant_id = ${tenant.id} and user_id = 'carol' order by ts limit 1`;
  await sql`update events set anonymous_id = 'anon-a1' where tenant_id = ${tenant.id} and event_id = ${ev!.event_id} and ts = ${ev!.ts}`;
  await sql`
    insert into identity_merges (tenant_id, project_id, event_id, ts, from_id, into_id, outcome, reason)
    values (${tenant.id}, ${ev!.project_id}, ${ev!.event_id}, ${ev!.ts}, 'anon-a1', 'carol', 'refused', 'both identified')`;
}

beforeAll(async () => {
  appProject = await env.createProject(tenant, 'app');
  // A declared dimension (before any event, so the live path keeps its rollups).
  const dim = await call(url(), '/v1/catalog/purchase', {
    method: 'PUT',
    key: tenant.keys.admin,
    json: { project: 'web', dimensions: ['country'] },
  });
  expect([200, 201]).toContain(dim.status);
  all.push(
    ...eventsOf('alice', 150, 0),
    ...eventsOf('bob', 120, 1_000),
    ...eventsOf('carol', 60, 2_000),
    ...eventsOf('Zoë 🎉/%', 30, 3_000),
    ...eventsOf(null, 40, 4_000),
  );
  await ingest(all);
  await eventually(async () => ((await storedCount()) === all.length ? true : undefined), 60_000, 250);
  // Derived data as a rebuild computes it, so that "equal to a full rebuild" after the erasure isolates the erasure.
  await rebuildRange(env.adapters, { fromMs: startedAt - 24 * HOUR, tenantId: tenant.id });
  // After the rebuild, which recomputes the people tables from the raw events (these carry no merges).
  await writePeople();
}, 120_000);

const idsOfPerson = (p: string) => PERSONS[p]!;
const eventIdsOf = (p: string) =>
  all.filter((e) => e.user_id !== undefined && idsOfPerson(p).includes(e.user_id)).map((e) => e.event_id);

it('erases a person with merged ids: every metric equals a recomputation, the person appears nowhere, a replay stores nothing', async () => {
  const sql = env.adapters.sql;
  // Prepare: warm answers (Redis filled through the read path), and the person visible everywhere.
  await metricAnswersMatchRaw();
  expect(await metricMismatches(sql, tenant.id)).toEqual({ rollups: 0, sketches: 0, sample: [] });
  expect((await derivedRows(sql)).dimension_values!.join()).toContain('Wonderland');
  const exported = await call(url(), '/v1/users/anon-a2/export', { key: tenant.keys.admin });
  expect(exported.status).toBe(200);
  const lines = (exported.body as string)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const alice = eventIdsOf('alice');
  expect(
    lines
      .filter((l) => l.type === 'event')
      .map((l) => l.event_id)
      .sort(),
  ).toEqual([...alice].sort());
  const people = lines.filter((l) => l.type === 'person');
  expect(people.map((p) => p.project).sort()).toEqual(['app', 'web']);
  expect(people[0]).toMatchObject({ person: 'alice', traits: { email: 'alice@example.com' } });
  expect(lines.filter((l) => l.type === 'merge').length).toBe(3); // two merged into alice, one refused (carol)

  // Act: a read key may not; the admin key erases alice by one of her anonymous ids.
  expect((await call(url(), '/v1/users/anon-a1', { method: 'DELETE', key: tenant.keys.read })).status).toBe(403);
  const res = await call(url(), '/v1/users/anon-a1', { method: 'DELETE', key: tenant.keys.admin });
  expect(res.status).toBe(202);
  expect(res.body).toMatchObject({ person: 'anon-a1', finished_at: null });
  expect(['pending', 'running', 'done']).toContain(res.body.status);
  expect(res.headers.get('location')).toBe(`/v1/erasures/${res.body.id}`);
  const job = await waitForJob(res.body.id);

  // Assess: the job, and nothing of alice anywhere.
  expect(job).toMatchObject({ status: 'done', events_erased: alice.length });
  expect(Date.parse(job.finished_at as string)).toBeGreaterThanOrEqual(Date.parse(job.requested_at as string));
  expect(await storedCount()).toBe(all.length - alice.length);
  expect(await traces(idsOfPerson('alice'), alice)).toEqual({
    events: 0,
    event_rows: 0,
    event_ids: 0,
    distinct_ids: 0,
    persons: 0,
    merges: 0,
  });
  const [hashed] = await sql<
    { n: number }[]
  >`select count(*)::int as n from erased_event_ids where tenant_id = ${tenant.id}`;
  expect(hashed!.n).toBe(alice.length);
  // The other persons are whole (carol's event lost only alice's anonymous id).
  expect(await storedCount()).toBe(all.filter((e) => !alice.includes(e.event_id)).length);
  const [carol] = await sql<{ n: number }[]>`
    select count(*)::int as n from distinct_ids where tenant_id = ${tenant.id} and person_id in ('bob', 'carol')`;
  expect(carol!.n).toBeGreaterThanOrEqual(3);

  // Every metric: the raw-table recomputation, and row for row what a full rebuild gives (sketches, percentiles, dimensions).
  expect(await metricMismatches(sql, tenant.id)).toEqual({ rollups: 0, sketches: 0, sample: [] });
  const afterErasure = await derivedRows(sql);
  expect(Object.keys(afterErasure)).toEqual(
    expect.arrayContaining(['rollups', 'rollup_sketches', 'quantile_sketches', 'dimension_cells']),
  );
  expect(afterErasure.quantile_sketches!.length).toBeGreaterThan(0);
  expect(afterErasure.dimension_cells!.length).toBeGreaterThan(0);
  // The value only alice had is kept nowhere, its text gone too; the others' values stay.
  expect(afterErasure.dimension_values!.join()).not.toContain('Wonderland');
  expect(afterErasure.dimension_values!.join()).toContain('"DE"');
  await rebuildRange(env.adapters, { fromMs: startedAt - 24 * HOUR, tenantId: tenant.id });
  expect(await derivedRows(sql)).toEqual(afterErasure);
  expect(await redisDiffers()).toEqual([]);
  await metricAnswersMatchRaw();

  // The reads: explorer, export, person export, a second DELETE.
  const explored = await call(url(), '/v1/events?limit=1000', { key: tenant.keys.read });
  expect(explored.body.events.length).toBe(all.length - alice.length);
  expect(explored.body.events.filter((e: { event_id: string }) => alice.includes(e.event_id))).toEqual([]);
  for (const id of idsOfPerson('alice')) {
    const byUser = await call(url(), `/v1/events?user_id=${id}`, { key: tenant.keys.read });
    expect(byUser.body.events).toEqual([]);
  }
  const dump = await call(url(), `/v1/events/export?from=${startedAt - 2 * 86_400_000}&to=${startedAt + 86_400_000}`, {
    key: tenant.keys.read,
  });
  expect(dump.status).toBe(200);
  for (const marker of ['alice', 'anon-a1', 'anon-a2', ...alice.slice(0, 20)]) expect(dump.body).not.toContain(marker);
  expect((await call(url(), '/v1/users/alice/export', { key: tenant.keys.admin })).status).toBe(404);
  expect((await call(url(), '/v1/users/alice', { method: 'DELETE', key: tenant.keys.admin })).status).toBe(404);

  // Audit: the request by its key, the completion by the platform; the table refuses changes to the app role.
  const audit = await sql<{ action: string; actor_kind: string; target: string }[]>`
    select action, actor_kind, target from audit_log
    where tenant_id = ${tenant.id} and action like 'person.%' order by id`;
  expect(audit).toEqual([
    { action: 'person.export', actor_kind: 'api_key', target: 'anon-a2' },
    { action: 'person.erase', actor_kind: 'api_key', target: 'anon-a1' },
    { action: 'person.erased', actor_kind: 'system', target: 'anon-a1' },
  ]);

  // Replay: the erased events delivered again through Kafka (same ids), then a sentinel behind them.
  const rows = await derivedRows(sql);
  const erased = all.filter((e) => alice.includes(e.event_id));
  await ingest(erased);
  const sentinel = eventsOf('bob', 1, 9_999);
  await ingest(sentinel);
  await eventually(
    async () => ((await storedCount()) === all.length - alice.length + 1 ? true : undefined),
    60_000,
    250,
  );
  expect(await traces(idsOfPerson('alice'), alice)).toMatchObject({ events: 0, event_rows: 0, event_ids: 0 });
  all.push(...sentinel);
  expect(await metricMismatches(sql, tenant.id)).toEqual({ rollups: 0, sketches: 0, sample: [] });
  const afterReplay = await derivedRows(sql);
  expect(afterReplay).not.toEqual(rows); // the sentinel counted
  await rebuildRange(env.adapters, { fromMs: startedAt - 24 * HOUR, tenantId: tenant.id });
  expect(await derivedRows(sql)).toEqual(afterReplay);

  // `customersignal replay` of the whole topic: every record read again, none stored (alice's are refused).
  const replayed = await runCli(env.config, ['--json', 'replay', '--from', '0', '--tenant', tenant.slug]);
  expect(replayed.code).toBe(0);
  expect(JSON.parse(replayed.stdout)).toMatchObject({ stored: 0 });
  expect(await storedCount()).toBe(all.length - alice.length);
  expect(await traces(idsOfPerson('alice'), alice)).toMatchObject({ events: 0, event_rows: 0, event_ids: 0 });
  expect(await derivedRows(sql)).toEqual(afterReplay);
}, 180_000);

it('a job that dies mid-way is finished by the next maintenance run', async () => {
  const sql = env.adapters.sql;
  const bob = eventIdsOf('bob');
  // The first test's rebuilds recomputed the people tables from the raw events, which carry no merges: merge bob's
  // ids again, as writePeople did.
  await sql`
    update distinct_ids set person_id = 'bob', identified = (distinct_id = 'bob')
    where tenant_id = ${tenant.id} and distinct_id = any(${sql.array(idsOfPerson('bob'))})`;
  const job = await requestSystemErasure('bob');
  // The runner dies in its second chunk of hours (after the erasure step and the first chunk).
  let hours = 0;
  const dying: Adapters = {
    ...env.adapters,
    erasures: {
      ...env.adapters.erasures,
      recomputeHours: async (ref, q) => {
        if (++hours === 2) throw new Error('runner died');
        return env.adapters.erasures.recomputeHours(ref, q);
      },
    },
  };
  await expect(runErasureJob(dying, job)).rejects.toThrow('runner died');
  const midway = await env.adapters.erasures.get(job);
  expect(midway).toMatchObject({ status: 'running', eventsErased: bob.length - 0 });
  expect(midway!.hours.length).toBeGreaterThan(0);
  expect(await traces(['bob', 'anon-b1'], bob)).toMatchObject({ events: 0, distinct_ids: 0 });
  // The derived data still counts some of bob's events: the job is really half done.
  expect((await metricMismatches(sql, tenant.id)).rollups).toBeGreaterThan(0);

  // Hashed ids past the raw retention go with that run; younger ones stay.
  const expired = new Date(Date.now() - env.config.limits.retentionMs - 60_000);
  await sql`insert into erased_event_ids (tenant_id, id_hash, event_ts) values (${tenant.id}, sha256('expired'::bytea), ${expired})`;
  const [kept] = await sql<
    { n: number }[]
  >`select count(*)::int as n from erased_event_ids where tenant_id = ${tenant.id}`;

  const run = await createMaintenanceHandler(env.adapters)({});
  expect(run.erasures).toEqual({ done: 1, failed: 0 });
  const [left] = await sql<
    { n: number }[]
  >`select count(*)::int as n from erased_event_ids where tenant_id = ${tenant.id}`;
  expect(left!.n).toBe(kept!.n - 1);
  expect(await env.adapters.erasures.get(job)).toMatchObject({ status: 'done', hours: [], days: [] });
  expect(await metricMismatches(sql, tenant.id)).toEqual({ rollups: 0, sketches: 0, sample: [] });
  const rows = await derivedRows(sql);
  await rebuildRange(env.adapters, { fromMs: startedAt - 24 * HOUR, tenantId: tenant.id });
  expect(await derivedRows(sql)).toEqual(rows);
  expect(await redisDiffers()).toEqual([]);
}, 120_000);

it('events of the same buckets written by the live path during the job are counted exactly', async () => {
  const sql = env.adapters.sql;
  const erin = eventsOf('erin', 40, 7_000);
  const before = await storedCount();
  await ingest(erin);
  const stored = (n: number) => eventually(async () => ((await storedCount()) === n ? true : undefined), 60_000, 100);
  await stored(before + erin.length);
  // dave's events fall in erin's cells (same project, type and time): half arrive between the erasure step and the
  // first chunk of hours is recomputed, half while the second chunk is.
  const dave = erin.map((e, k) => ({
    ...e,
    event_id: `e-dave-${k}-${randomUUID().slice(0, 8)}`,
    user_id: 'dave',
    properties: { ...e.properties, amount: k + 0.5 },
  }));
  const job = await requestSystemErasure('erin');
  let hours = 0;
  const racing: Adapters = {
    ...env.adapters,
    erasures: {
      ...env.adapters.erasures,
      recomputeHours: async (ref, q) => {
        hours += 1;
        if (hours === 1) {
          await ingest(dave.slice(0, 20));
          await stored(before + 20);
        }
        if (hours === 2) {
          const [values] = await Promise.all([env.adapters.erasures.recomputeHours(ref, q), ingest(dave.slice(20))]);
          return values;
        }
        return env.adapters.erasures.recomputeHours(ref, q);
      },
    },
  };
  expect(await runErasureJob(racing, job)).toMatchObject({ status: 'done', eventsErased: erin.length });
  expect(hours).toBe(2); // erin's ~20 hours are two chunks of HOURS_PER_CHUNK
  all.push(...dave);
  await stored(before + dave.length);
  expect(
    await traces(
      ['erin'],
      erin.map((e) => e.event_id),
    ),
  ).toMatchObject({ events: 0, event_ids: 0 });
  expect(await metricMismatches(sql, tenant.id)).toEqual({ rollups: 0, sketches: 0, sample: [] });
  expect(await redisDiffers()).toEqual([]);
  const rows = await derivedRows(sql);
  await rebuildRange(env.adapters, { fromMs: startedAt - 24 * HOUR, tenantId: tenant.id });
  expect(await derivedRows(sql)).toEqual(rows);
}, 120_000);

const codeOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? 'error',
  );

it('in a tenant whose hours are not UTC hours (+05:30), the local hours and days are recomputed too', async () => {
  const sql = env.adapters.sql;
  const patched = await call(url(), '/v1/tenant', {
    method: 'PATCH',
    key: zoned.keys.admin,
    json: { timezone: 'Asia/Kolkata' },
  });
  expect(patched.status).toBe(200);
  const events = [...eventsOf('alice', 80, 5_000), ...eventsOf('bob', 80, 6_000)].filter((e) => e.project === 'web');
  for (let i = 0; i < events.length; i += 200) {
    const r = await call(url(), '/v1/events', { key: zoned.keys.ingest, json: { events: events.slice(i, i + 200) } });
    expect(r.status).toBe(202);
  }
  const stored = async () => {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from events where tenant_id = ${zoned.id}`;
    return row!.n;
  };
  await eventually(async () => ((await stored()) === events.length ? true : undefined), 60_000, 250);
  await rebuildRange(env.adapters, { fromMs: startedAt - 24 * HOUR, tenantId: zoned.id });

  const res = await call(url(), '/v1/users/anon-a2', { method: 'DELETE', key: zoned.keys.admin });
  expect(res.status).toBe(202);
  const done = await eventually(
    async () => {
      const r = await call(url(), `/v1/erasures/${res.body.id}`, { key: zoned.keys.admin });
      return r.body.status === 'done' ? r.body : undefined;
    },
    60_000,
    200,
  );
  // No distinct_ids rows here: anon-a2 is its own person.
  const erased = events.filter((e) => e.user_id === 'anon-a2').length;
  expect(done.events_erased).toBe(erased);
  expect(await stored()).toBe(events.length - erased);
  const afterErasure = await derivedRows(sql, zoned.id);
  expect(afterErasure.rollups!.some((r) => r.includes('"interval": "1h"') && r.includes(':30:00'))).toBe(true);
  await rebuildRange(env.adapters, { fromMs: startedAt - 24 * HOUR, tenantId: zoned.id });
  expect(await derivedRows(sql, zoned.id)).toEqual(afterErasure);
}, 120_000);

describe('who may, and which ids', () => {
  it('the audit log is append-only for the app role', async () => {
    const asApp = new URL(env.config.database.url);
    asApp.username = APP_ROLE;
    asApp.password = '';
    const app = postgres(asApp.toString(), { max: 1, onnotice: () => undefined });
    try {
      expect(
        await codeOf(app`
          insert into audit_log (tenant_id, at, actor_kind, actor_id, action, target)
          values (${tenant.id}, now(), 'system', 'test', 'person.export', 'nobody')`),
      ).toBe('ok');
      expect(await codeOf(app`select count(*) from audit_log`)).toBe('ok');
      expect(await codeOf(app`update audit_log set target = 'x'`)).toBe('42501');
      expect(await codeOf(app`delete from audit_log`)).toBe('42501');
      expect(await codeOf(app`truncate audit_log`)).toBe('42501');
    } finally {
      await app.end({ timeout: 5 });
    }
  });

  it('admin only: read and ingest keys get 403, a key bound to one project cannot reach another', async () => {
    for (const key of [tenant.keys.read, tenant.keys.ingest]) {
      expect((await call(url(), '/v1/users/carol', { method: 'DELETE', key })).status).toBe(403);
      expect((await call(url(), '/v1/users/carol/export', { key })).status).toBe(403);
      expect((await call(url(), `/v1/erasures/${randomUUID()}`, { key })).status).toBe(403);
    }
    const bound = await env.createKey(tenant, ['admin'], tenant.project.id);
    expect((await call(url(), '/v1/users/carol/export?project=app', { key: bound })).status).toBe(403);
    const own = await call(url(), '/v1/users/carol/export', { key: bound });
    expect(own.status).toBe(200);
    expect(own.body).not.toContain('"project":"app"');
  });

  it('a unicode id with / and % is erased; a NUL, a lone surrogate or an overlong id is a 400; unknown ids are 404', async () => {
    const zoe = 'Zoë 🎉/%';
    const exported = await call(url(), `/v1/users/${encodeURIComponent(zoe)}/export`, { key: tenant.keys.admin });
    expect(exported.status).toBe(200);
    expect(exported.body).toContain('"person":"Zoë 🎉/%"');
    const res = await call(url(), `/v1/users/${encodeURIComponent(zoe)}`, { method: 'DELETE', key: tenant.keys.admin });
    expect(res.status).toBe(202);
    expect(await waitForJob(res.body.id)).toMatchObject({ status: 'done', events_erased: eventIdsOf(zoe).length });
    expect(await traces([zoe], eventIdsOf(zoe))).toMatchObject({ events: 0, distinct_ids: 0, persons: 0 });

    for (const path of ['a%00b', '%ED%A0%80', 'x'.repeat(257)]) {
      for (const [method, suffix] of [
        ['DELETE', ''],
        ['GET', '/export'],
      ] as const) {
        const r = await call(url(), `/v1/users/${path}${suffix}`, { method, key: tenant.keys.admin });
        expect({ path, method, status: r.status }).toEqual({ path, method, status: 400 });
      }
    }
    expect((await call(url(), '/v1/erasures/not-a-uuid', { key: tenant.keys.admin })).status).toBe(400);
    expect((await call(url(), `/v1/erasures/${randomUUID()}`, { key: tenant.keys.admin })).status).toBe(404);
    expect(
      (await call(url(), `/v1/users/${'x'.repeat(256)}`, { method: 'DELETE', key: tenant.keys.admin })).status,
    ).toBe(404);

    // Any well-formed id no event carried: 404 on both routes, never a 5xx; with a NUL: 400.
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), fc.boolean(), async (raw, nul) => {
        const id = `zz-${raw}${nul ? '\u0000' : ''}`;
        const want = nul ? 400 : 404;
        const del = await call(url(), `/v1/users/${encodeURIComponent(id)}`, {
          method: 'DELETE',
          key: tenant.keys.admin,
        });
        const exp = await call(url(), `/v1/users/${encodeURIComponent(id)}/export`, { key: tenant.keys.admin });
        expect({ id, del: del.status, exp: exp.status }).toEqual({ id, del: want, exp: want });
      }),
      { numRuns: 40 },
    );
  });
});

/** Requests the erasure of a person in both projects, as the system would (audit-logged as person.erase). */
const requestSystemErasure = (person: string) =>
  requestErasure(env.adapters, {
    tenantId: tenant.id,
    person,
    projectIds: [tenant.project.id, appProject],
    actor: 'test',
  });
