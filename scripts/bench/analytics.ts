// `npm run bench -- analytics`: funnels over a seeded tenant (docs/api.md#funnels, docs/architecture.md#funnels).
// A throwaway database; `--events` raw events (default 10 M; --quick 300 000) of `--events`/10 persons over the
// 7 days before now, seeded straight into Postgres with generate_series (not through Kafka), with distinct_ids rows
// as the identity contract keeps them (a tenth of the persons began anonymous and were merged). Rows: a 5-step and a
// 20-step funnel over the 7 days (p95 of the handler's answer), each against a plain Postgres scan of the same rows
// (count(*) of the steps' event types in the range), alternated in the same run.
import { createTestEnv } from '../../test/harness';
import { dropDatabase } from '../../adapters/postgres/client';
import type { Principal } from '../../core/api-keys';
import { queryFunnel } from '../../functions/query/funnels';
import { fmt, goal, type Benchmark, type BenchContext, type BenchResult, type Row } from './context';

const DAY = 86_400_000;
const MINUTE = 60_000;
const CHUNK = 500_000;
/** Events per person. */
const PER_PERSON = 10;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const analyticsBenchmark: Benchmark = {
  name: 'analytics',
  title: 'funnels (5 and 20 steps over 7 days) on a seeded tenant vs a plain Postgres scan of the same rows',
  async run(ctx: BenchContext): Promise<BenchResult> {
    const { opts } = ctx;
    const details: string[] = [];
    const rows: Row[] = [];
    const note = (line: string) => {
      details.push(line);
      ctx.progress(`  ${line}`);
    };
    ctx.progress('analytics: creating a database and a tenant …');
    const env = await createTestEnv('bench_analytics', {}, { topics: false });
    ctx.defer('analytics: database', async () => {
      try {
        await env.cleanup();
      } catch (e) {
        await dropDatabase(env.config.database.url);
        throw e;
      }
    });
    const tenant = await env.createTenant();
    const sql = env.adapters.sql;
    const events = opts.seedEvents;
    const persons = Math.max(1, Math.floor(events / PER_PERSON));
    const toMs = Math.floor(Date.now() / MINUTE) * MINUTE;
    const fromMs = toMs - 7 * DAY;

    // Person p (0-based) starts at a time spread over the 7 days (minus 2 h, so every event is in range) and does
    // PER_PERSON events 7 minutes apart: step_1 … step_<depth>, then page_view, with depth = 1 + (p·31 mod 10), so
    // persons reach different steps (none beyond step 10). Persons with p mod 10 = 0 did their first two events as
    // anon_<p>, merged into user_<p>.
    ctx.progress(`analytics: seeding ${fmt.int(events)} events of ${fmt.int(persons)} persons over 7 days …`);
    const t0 = performance.now();
    const days: number[] = [];
    for (let d = fromMs; d < toMs + DAY; d += DAY) days.push(Math.min(d, toMs - 1));
    await env.adapters.partitions.ensureFor(days);
    const spread = (7 * DAY - 2 * 3_600_000) / persons;
    const chunks: [number, number][] = [];
    for (let lo = 0; lo < persons * PER_PERSON; lo += CHUNK)
      chunks.push([lo, Math.min(persons * PER_PERSON, lo + CHUNK) - 1]);
    let done = 0;
    const worker = async () => {
      for (let c = chunks.shift(); c; c = chunks.shift()) {
        const [lo, hi] = c;
        await sql`
          with g as (
            select g, g / ${PER_PERSON} as p, g % ${PER_PERSON} as k from generate_series(${lo}::bigint, ${hi}::bigint) as g
          )
          insert into events (tenant_id, project_id, event_id, event_type, ts, received_at, user_id, properties)
          select ${tenant.id}::uuid, ${tenant.project.id}::uuid, 'seed-' || g,
                 case when k < 1 + (p * 31) % ${PER_PERSON} then 'step_' || (k + 1) else 'page_view' end,
                 to_timestamp((${fromMs}::float8 + ((p * 7919) % ${persons}) * ${spread}::float8 + k * 420000) / 1000.0),
                 to_timestamp((${fromMs}::float8 + ((p * 7919) % ${persons}) * ${spread}::float8 + k * 420000) / 1000.0),
                 case when p % 10 = 0 and k < 2 then 'anon_' || p else 'user_' || p end,
                 jsonb_build_object('country', (array['DE','US','FR','GB','JP','BR'])[1 + p % 6], 'plan', (array['free','pro'])[1 + p % 2])
          from g`;
        done += hi - lo + 1;
        if (done % 2_000_000 < CHUNK || done === persons * PER_PERSON)
          ctx.progress(`analytics:   ${fmt.int(done)} seeded`);
      }
    };
    await Promise.all([worker(), worker()]);
    // The identity contract's rows (migration 021): every id seen, with its person.
    await sql`
      insert into distinct_ids (tenant_id, project_id, distinct_id, person_id, identified, first_seen, last_seen, event_count)
      select ${tenant.id}::uuid, ${tenant.project.id}::uuid, user_id, user_id, true, min(ts), max(ts), count(*)
      from events where tenant_id = ${tenant.id} and user_id like 'user\\_%' group by user_id`;
    await sql`
      insert into distinct_ids (tenant_id, project_id, distinct_id, person_id, identified, first_seen, last_seen, event_count)
      select ${tenant.id}::uuid, ${tenant.project.id}::uuid, user_id, 'user_' || substr(user_id, 6), false, min(ts), max(ts), count(*)
      from events where tenant_id = ${tenant.id} and user_id like 'anon\\_%' group by user_id`;
    await sql`analyze events`;
    await sql`analyze distinct_ids`;
    note(
      `seed: ${fmt.int(persons * PER_PERSON)} events of ${fmt.int(persons)} persons (${PER_PERSON} each, 7 min apart; depth 1–10 steps; a tenth merged from an anonymous id) over 7 days in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
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
    return { rows, details };
  },
};
