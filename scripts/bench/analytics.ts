// `npm run bench -- analytics`: funnels, retention, a person's timeline and an erasure over a seeded tenant
// (docs/benchmarks.md#the-analytics-benchmark). A throwaway database; `--events` raw events (default 10 M; --quick
// 300 000) of `--events`/10 persons over the 7 days before now, up to 2 visits per person over the 8 weeks before
// now, and one person of 10 000 events, seeded straight into Postgres with generate_series (not through Kafka), with
// the people rows ingestion would write, made by the rebuild's people step (a tenth of the persons began anonymous
// and were merged). Rows: a 5-step and a 20-step funnel over the 7 days and an 8-week retention grid (p95 of the handler's
// answer), a person's first timeline page (p99), one erasure; each against a plain Postgres read of the same rows
// in the same run.
import { createTestEnv, type TestEnv } from '../../test/harness';
import { requestSystemErasure } from '../../test/builders';
import type { Principal } from '../../core/api-keys';
import { queryFunnel } from '../../functions/query/funnels';
import { queryRetention } from '../../functions/query/retention';
import { getPersonEvents } from '../../functions/query/people';
import { runErasureJob } from '../../functions/maintenance/erasure';
import { rebuildRange } from '../../functions/maintenance/rebuild';
import { PEOPLE_DEFAULT_LIMIT } from '../../core/people';
import type { RetentionAnswer } from '../../core/retention';
import { cleanupEnv } from './bench-env';
import { inChunks } from './seed';
import { fmt, goal, recorder, type Benchmark, type BenchContext, type BenchResult } from './context';
import { percentile } from './stats';

const DAY = 86_400_000;
const MINUTE = 60_000;
const CHUNK = 500_000;
/** Events per person. */
const PER_PERSON = 10;
const WEEK = 7 * DAY;
/** Weeks of the retention grid (and of the visits seeded for it). */
const RETENTION_WEEKS = 8;
/** Events of the person erased. */
const ERASED_EVENTS = 10_000;

/** Runs `ours` then `base` runs + 1 times (the first, a warm-up for caches and plans, not counted); sorted times. */
async function alternate(runs: number, ours: () => Promise<void>, base: () => Promise<void>) {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = performance.now();
    await ours();
    const t1 = performance.now();
    await base();
    const t2 = performance.now();
    if (i === 0) continue;
    a.push(t1 - t0);
    b.push(t2 - t1);
  }
  a.sort((x, y) => x - y);
  b.sort((x, y) => x - y);
  return { ours: a, base: b };
}

/** The seeded tenant and its ranges (docs/benchmarks.md#the-analytics-benchmark). */
export interface AnalyticsSeed {
  tenant: Awaited<ReturnType<TestEnv['createTenant']>>;
  persons: number;
  fromMs: number;
  toMs: number;
  weeksFrom: number;
  /** Seconds: the whole seed, and its rebuildPeople. */
  seedS: number;
  peopleS: number;
}

/**
 * Seeds `events` raw events of `events`/10 persons, the retention visits, the person erased and the people rows into a
 * new tenant of `env` (also used by hand for EXPLAIN on a kept database).
 */
export async function seedAnalytics(
  env: TestEnv,
  events: number,
  progress: (m: string) => void,
): Promise<AnalyticsSeed> {
  const tenant = await env.createTenant();
  const sql = env.adapters.sql;
  const persons = Math.max(1, Math.floor(events / PER_PERSON));
  const toMs = Math.floor(Date.now() / MINUTE) * MINUTE;
  const fromMs = toMs - 7 * DAY;

  // Person p (0-based) starts at a time spread over the 7 days (minus 2 h, so every event is in range) and does
  // PER_PERSON events 7 minutes apart: step_1 … step_<depth>, then page_view, with depth = 1 + (p·31 mod 10), so
  // persons reach different steps (none beyond step 10). Persons with p mod 10 = 0 did their first two events as
  // anon_<p>, merged into user_<p>.
  progress(`analytics: seeding ${fmt.int(events)} events of ${fmt.int(persons)} persons over 7 days …`);
  const t0 = performance.now();
  const days: number[] = [];
  for (let d = toMs - RETENTION_WEEKS * WEEK - DAY; d < toMs + DAY; d += DAY) days.push(Math.min(d, toMs - 1));
  await env.adapters.partitions.ensureFor(days);
  const spread = (7 * DAY - 2 * 3_600_000) / persons;
  const total = persons * PER_PERSON;
  const seeded = (done: number) => {
    if (done % 2_000_000 < CHUNK || done === total) progress(`analytics:   ${fmt.int(done)} seeded`);
  };
  await inChunks(0, total - 1, CHUNK, seeded, async (lo, hi) => {
    await sql`
      with g as (
        select g, g / ${PER_PERSON} as p, g % ${PER_PERSON} as k from generate_series(${lo}::bigint, ${hi}::bigint) as g
      )
      insert into events (tenant_id, project_id, event_id, event_type, ts, received_at, user_id, anonymous_id, properties)
      select ${tenant.id}::uuid, ${tenant.project.id}::uuid, 'seed-' || g,
             case when k < 1 + (p * 31) % ${PER_PERSON} then 'step_' || (k + 1) else 'page_view' end,
             to_timestamp((${fromMs}::float8 + ((p * 7919) % ${persons}) * ${spread}::float8 + k * 420000) / 1000.0),
             to_timestamp((${fromMs}::float8 + ((p * 7919) % ${persons}) * ${spread}::float8 + k * 420000) / 1000.0),
             case when p % 10 = 0 and k < 2 then 'anon_' || p else 'user_' || p end,
             case when p % 10 = 0 and k < 3 then 'anon_' || p end,
             jsonb_build_object('country', (array['DE','US','FR','GB','JP','BR'])[1 + p % 6], 'plan', (array['free','pro'])[1 + p % 2])
      from g`;
  });
  // Retention's visits: person p visits in week c = p mod 8 of the 8 weeks before now (its cohort) and again
  // 1 + p mod 3 weeks later (past now for the last cohorts: those returns fall outside the grid), as user_<p>.
  progress(`analytics: seeding up to ${fmt.int(2 * persons)} visits over ${RETENTION_WEEKS} weeks …`);
  const weeksFrom = toMs - RETENTION_WEEKS * WEEK;
  for (let lo = 0; lo < persons; lo += CHUNK / 2) {
    const hi = Math.min(persons, lo + CHUNK / 2) - 1;
    await sql`
    with g as (select p, r from generate_series(${lo}::bigint, ${hi}::bigint) as p, generate_series(0, 1) as r),
    t as (
      select p, r, ${weeksFrom}::float8 + ((p % ${RETENTION_WEEKS}) + r * (1 + p % 3)) * ${WEEK}::float8
             + ((p * 7919) % ${persons}) * ${(WEEK - 3_600_000) / persons}::float8 as ms
      from g
    )
    insert into events (tenant_id, project_id, event_id, event_type, ts, received_at, user_id, properties)
    select ${tenant.id}::uuid, ${tenant.project.id}::uuid, 'visit-' || p || '-' || r, 'visit',
           to_timestamp(ms / 1000.0), to_timestamp(ms / 1000.0), 'user_' || p, '{}'::jsonb
    from t where ms < ${toMs}`;
  }
  // The person erased: 10 000 events spread over the 7 days, the first 10 as anonymous id erase_anon, the 11th
  // (as erase_me, carrying erase_anon) merging it; with their event_ids rows, as writeBatch writes them.
  await sql`
  insert into events (tenant_id, project_id, event_id, event_type, ts, received_at, user_id, anonymous_id, properties)
  select ${tenant.id}::uuid, ${tenant.project.id}::uuid, 'erase-' || g,
         case when g % 2 = 0 then 'page_view' else 'step_' || (1 + g % 10) end,
         to_timestamp((${fromMs}::float8 + g * ${(7 * DAY - 3_600_000) / ERASED_EVENTS}::float8) / 1000.0),
         to_timestamp((${fromMs}::float8 + g * ${(7 * DAY - 3_600_000) / ERASED_EVENTS}::float8) / 1000.0),
         case when g < 10 then 'erase_anon' else 'erase_me' end,
         case when g <= 10 then 'erase_anon' end,
         jsonb_build_object('country', 'DE', 'plan', 'pro')
  from generate_series(0, ${ERASED_EVENTS - 1}) as g`;
  await sql`
  insert into event_ids (tenant_id, event_id, event_ts)
  select tenant_id, event_id, ts from events where tenant_id = ${tenant.id} and user_id in ('erase_me', 'erase_anon')`;
  // What autovacuum does on a deployed database soon after a bulk insert (it is off on this machine): the
  // statistics, and the visibility map that lets the covering index of migration 024 answer without the heap.
  progress('analytics: vacuum analyze events …');
  await sql`vacuum analyze events`;
  // The identity contract's rows (migration 021: distinct_ids, persons, identity_merges) as ingestion leaves them,
  // written by the rebuild's own people step from the seeded events (docs/architecture.md#people-and-identity).
  progress('analytics: writing distinct_ids and identity_merges (rebuildPeople) …');
  const tPeople = performance.now();
  await env.adapters.rebuildStore.rebuildPeople({ tenantId: tenant.id });
  const peopleS = (performance.now() - tPeople) / 1000;
  await sql`analyze distinct_ids`;
  return {
    tenant,
    persons,
    fromMs,
    toMs,
    weeksFrom,
    seedS: (performance.now() - t0) / 1000,
    peopleS,
  };
}

export const analyticsBenchmark: Benchmark = {
  name: 'analytics',
  title:
    'funnels (5 and 20 steps), an 8-week retention grid, a person timeline page and an erasure on a seeded tenant vs plain Postgres reads of the same rows',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const { opts } = ctx;
    const { rows, details, note } = recorder(ctx);
    ctx.progress('analytics: creating a database and a tenant …');
    const env = await createTestEnv(
      'bench_analytics',
      // Raw events kept long enough for the retention grid's weeks (the default 30 days would refuse its from).
      { RETENTION: `${RETENTION_WEEKS * 7 + 14}d` },
      { topics: false },
    );
    ctx.defer('analytics: database', () => cleanupEnv(env));
    const events = opts.seedEvents;
    const seed = await seedAnalytics(env, events, (m) => ctx.progress(m));
    const { tenant, persons, fromMs, toMs, weeksFrom } = seed;
    const sql = env.adapters.sql;
    note(
      `seed: ${fmt.int(persons * PER_PERSON)} events of ${fmt.int(persons)} persons (${PER_PERSON} each, 7 min apart; depth 1–10 steps; a tenth merged from an anonymous id) over 7 days, plus up to 2 visits per person over ${RETENTION_WEEKS} weeks and ${fmt.int(ERASED_EVENTS)} events of the person erased, in ${seed.seedS.toFixed(1)} s (of which rebuildPeople ${seed.peopleS.toFixed(1)} s)`,
    );

    const principal: Principal = {
      tenantId: tenant.id,
      keyId: 'bench',
      scopes: ['read'],
      projectId: null,
      projectSlug: null,
    };
    const runs = Math.max(5, Math.min(20, Math.round(opts.queryRequests / 15)));
    const funnel = (n: number) => ({
      project: tenant.project.slug,
      steps: Array.from({ length: n }, (_, i) => ({ event_type: `step_${i + 1}` })),
      window: '1d',
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
    });
    const scan = (n: number) => {
      const types = Array.from({ length: n }, (_, i) => `step_${i + 1}`);
      return sql`select count(*) from events where tenant_id = ${tenant.id} and project_id = ${tenant.project.id}
        and ts >= ${new Date(fromMs)} and ts < ${new Date(toMs + DAY)} and event_type = any(${sql.array(types)}::text[])`;
    };
    const full = events >= 10_000_000;
    for (const [n, goalS] of [
      [5, 2],
      [20, 5],
    ] as const) {
      ctx.progress(`analytics: ${n}-step funnel, ${runs} runs alternating with the scan …`);
      const ours: number[] = [];
      const base: number[] = [];
      let answer: { steps: { count: number }[] } | null = null;
      let scanned = 0;
      for (let i = 0; i < runs + 1; i++) {
        const a = performance.now();
        answer = await queryFunnel(env.adapters, principal, funnel(n));
        const b = performance.now();
        const [row] = await scan(n);
        const c = performance.now();
        scanned = Number((row as { count: string }).count);
        if (i === 0) continue; // warm-up: caches and plans
        ours.push(b - a);
        base.push(c - b);
      }
      ours.sort((x, y) => x - y);
      base.sort((x, y) => x - y);
      const p95 = percentile(ours, 95);
      const b95 = percentile(base, 95);
      note(
        `${n}-step funnel: counts ${answer!.steps.map((s) => s.count).join(' → ')}; ours p50 ${fmt.ms(percentile(ours, 50))}, p95 ${fmt.ms(p95)}; ` +
          `scan of the same ${fmt.int(scanned)} rows p50 ${fmt.ms(percentile(base, 50))}, p95 ${fmt.ms(b95)} (${runs} runs each)`,
      );
      const met = full ? p95 <= goalS * 1000 : undefined;
      rows.push({
        benchmark: `POST /v1/funnels/query, ${n} steps over 7 days of ${fmt.int(events)} events / ${fmt.int(persons)} persons, p95; baseline: select count(*) of the same rows`,
        ours: fmt.ms(p95),
        baseline: fmt.ms(b95),
        ratio: fmt.ratio(p95 / b95),
        goal: goal(`p95 ≤ ${goalS} s at 10 M events${full ? '' : ' (not judged below 10 M)'}`, met),
        ...(met === undefined ? {} : { met }),
      });
    }

    // Retention: the full POST /v1/retention/query path, weekly cohorts of visits over the 8 seeded weeks with 8
    // periods each, against a count(*) of the same visit rows.
    {
      const body = {
        project: tenant.project.slug,
        start_event: 'visit',
        return_event: 'visit',
        period: 'week',
        periods: RETENTION_WEEKS,
        from: new Date(weeksFrom).toISOString(),
        to: new Date(toMs).toISOString(),
      };
      ctx.progress(`analytics: ${RETENTION_WEEKS}-week retention grid, ${runs} runs alternating with the scan …`);
      let answer: RetentionAnswer | null = null;
      let scanned = 0;
      const { ours, base } = await alternate(
        runs,
        async () => {
          answer = await queryRetention(env.adapters, principal, body);
        },
        async () => {
          const [row] = await sql<{ n: string }[]>`select count(*) as n from events
            where tenant_id = ${tenant.id} and project_id = ${tenant.project.id} and event_type = 'visit'
              and ts >= ${new Date(weeksFrom)} and ts < ${new Date(toMs)}`;
          scanned = Number(row!.n);
        },
      );
      const a = answer as RetentionAnswer | null;
      const p95 = percentile(ours, 95);
      const b95 = percentile(base, 95);
      note(
        `${RETENTION_WEEKS}-week retention: ${a?.cohorts.length ?? 0} cohorts, sizes ${(a?.cohorts ?? []).map((c) => c.size).join(' ')}; ` +
          `ours p50 ${fmt.ms(percentile(ours, 50))}, p95 ${fmt.ms(p95)}; scan of the same ${fmt.int(scanned)} visits ` +
          `p50 ${fmt.ms(percentile(base, 50))}, p95 ${fmt.ms(b95)} (${runs} runs each)`,
      );
      const met = full ? p95 <= 2000 : undefined;
      rows.push({
        benchmark: `POST /v1/retention/query, weekly cohorts × ${RETENTION_WEEKS} periods over ${RETENTION_WEEKS} weeks (${fmt.int(scanned)} visits of ${fmt.int(persons)} persons, beside the funnel events), p95; baseline: select count(*) of the same visits`,
        ours: fmt.ms(p95),
        baseline: fmt.ms(b95),
        ratio: fmt.ratio(p95 / b95),
        goal: goal(`p95 ≤ 2 s at 10 M events${full ? '' : ' (not judged below 10 M)'}`, met),
        ...(met === undefined ? {} : { met }),
      });
    }

    // A person's timeline: GET /v1/users/{id}/events's handler (person lookup, pin, first page) for random persons
    // (a tenth of them merged, so two ids), against a plain select of the same page by the person's known ids.
    {
      const samples = Math.max(100, opts.queryRequests);
      ctx.progress(`analytics: timeline first page of ${samples} random persons, alternating with the plain select …`);
      let rnd = 0x2545f491;
      const next = () => {
        rnd = (Math.imul(rnd, 1_103_515_245) + 12_345) >>> 0;
        return rnd % persons;
      };
      let p = 0;
      let returned = 0;
      const { ours, base } = await alternate(
        samples,
        async () => {
          p = next();
          const page = await getPersonEvents(env.adapters, principal, `user_${p}`, new URLSearchParams());
          returned += page.events.length;
        },
        async () => {
          const ids = p % 10 === 0 ? [`user_${p}`, `anon_${p}`] : [`user_${p}`];
          await sql`select event_id, event_type, ts, received_at, user_id, anonymous_id, session_id, properties, context
            from events where tenant_id = ${tenant.id} and project_id = ${tenant.project.id}
              and user_id = any(${sql.array(ids)}::text[])
            order by ts desc, event_id desc limit ${PEOPLE_DEFAULT_LIMIT}`;
        },
      );
      const p99 = percentile(ours, 99);
      const b99 = percentile(base, 99);
      note(
        `timeline: ${samples} first pages (${(returned / (samples + 1)).toFixed(1)} events each on average); ours p50 ${fmt.ms(percentile(ours, 50))}, ` +
          `p99 ${fmt.ms(p99)}; plain select of the same page p50 ${fmt.ms(percentile(base, 50))}, p99 ${fmt.ms(b99)}`,
      );
      const met = full ? p99 <= 50 : undefined;
      rows.push({
        benchmark: `GET /v1/users/{id}/events, first page (limit ${PEOPLE_DEFAULT_LIMIT}) of ${samples} random persons of ${fmt.int(persons)}, p99; baseline: select of the same page by the person's ids`,
        ours: fmt.ms(p99),
        baseline: fmt.ms(b99),
        ratio: fmt.ratio(p99 / b99),
        goal: goal(`p99 ≤ 50 ms at 10 M events${full ? '' : ' (not judged below 10 M)'}`, met),
        ...(met === undefined ? {} : { met }),
      });
    }

    // Erasure of erase_me (and its merged erase_anon): the request, then the job to its end (events, ids, the counts
    // of every bucket they were in decremented, the sketches of those buckets recomputed), once; against a bare DELETE
    // of the same rows, rolled back, just before. The derived data the job corrects is built first (a rebuild of the
    // 7 days: rollups, unique-user and percentile sketches), as the live path would have left it.
    {
      ctx.progress('analytics: building the rollups of the 7 days for the erasure (rebuild) …');
      const rebuildStart = performance.now();
      await rebuildRange(env.adapters, { fromMs, toMs: toMs + MINUTE, tenantId: tenant.id });
      note(`erasure: rollups of the 7 days built by a rebuild in ${fmt.ms(performance.now() - rebuildStart)}`);
      ctx.progress(`analytics: erasing a person of ${fmt.int(ERASED_EVENTS)} events …`);
      const [before] = await sql<{ n: string }[]>`select count(*) as n from events
        where tenant_id = ${tenant.id} and project_id = ${tenant.project.id} and user_id in ('erase_me', 'erase_anon')`;
      // The baseline: a bare DELETE of the same events, rolled back (the floor of removing them, nothing derived).
      const scanStart = performance.now();
      const rollback = new Error('rollback');
      await sql
        .begin(async (tx) => {
          await tx`delete from events
            where tenant_id = ${tenant.id} and project_id = ${tenant.project.id} and user_id in ('erase_me', 'erase_anon')`;
          throw rollback;
        })
        .catch((e: unknown) => {
          if (e !== rollback) throw e;
        });
      const scanMs = performance.now() - scanStart;
      const start = performance.now();
      const job = await requestSystemErasure(env.adapters, {
        tenantId: tenant.id,
        person: 'erase_me',
        projectIds: [tenant.project.id],
        actor: 'bench',
      });
      const finished = await runErasureJob(env.adapters, job);
      const ms = performance.now() - start;
      const [after] = await sql<{ n: string }[]>`select count(*) as n from events
        where tenant_id = ${tenant.id} and project_id = ${tenant.project.id} and user_id in ('erase_me', 'erase_anon')`;
      if (finished?.status !== 'done' || Number(after!.n) !== 0)
        throw new Error(
          `erasure ended ${finished?.status ?? 'without a job'} with ${after!.n} of the person's events left`,
        );
      note(
        `erasure: ${fmt.int(Number(before!.n))} events of 2 ids, ${finished.eventsErased} erased (the counts of their buckets decremented, the sketches of those buckets recomputed) in ${fmt.ms(ms)}; a bare DELETE of them (rolled back) ${fmt.ms(scanMs)}`,
      );
      const met = full ? ms <= 60_000 : undefined;
      rows.push({
        benchmark: `person erasure (request + job: events, ids, derived data of the buckets they touched) of ${fmt.int(Number(before!.n))} events over 7 days among ${fmt.int(events)} with their rollups, once; baseline: a bare DELETE of the same events, rolled back`,
        ours: fmt.ms(ms),
        baseline: fmt.ms(scanMs),
        ratio: fmt.ratio(ms / scanMs),
        goal: goal(`≤ 60 s at 10 M events${full ? '' : ' (not judged below 10 M)'}`, met),
        ...(met === undefined ? {} : { met }),
      });
    }
    return { rows, details };
  },
};
