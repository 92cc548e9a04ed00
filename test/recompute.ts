// "Every metric equals a recomputation from the raw events": the stored rollups and sketches of a tenant compared
// with a GROUP BY over its raw rows, for every interval and metric (count, sum:/n: of top-level numbers, unique users).
import type { Sql } from '../adapters/postgres/client';
import { HLL_PARAMS } from '../adapters/postgres/aggregate-store';
import { eventually } from './harness';

export interface Mismatches {
  /** Rows present or different on one side only (zero-valued rows count as absent: a sum can be 0, a rebuild zeroes). */
  rollups: number;
  sketches: number;
  /** A few of the differing rows, for the failure message. */
  sample: unknown[];
}

export async function metricMismatches(sql: Sql, tenantId: string): Promise<Mismatches> {
  const { log2m, regwidth, expthresh, sparseon } = HLL_PARAMS;
  const rollups = await sql<{ side: string }[]>`
    with iv(i, secs) as (values ('10s', 10), ('1m', 60), ('5m', 300), ('1h', 3600), ('1d', 86400)),
    b as (
      select e.*, iv.i, to_timestamp(floor(extract(epoch from e.ts) / iv.secs) * iv.secs) as bucket
      from events e cross join iv where e.tenant_id = ${tenantId}
    ), recomputed as (
      select project_id, event_type, 'count' as metric, i as interval, bucket, count(*)::numeric as value from b group by 1, 2, 3, 4, 5
      union all
      select b.project_id, b.event_type, m.metric, b.i, b.bucket, case when m.kind = 'sum' then sum(kv.v::numeric) else count(*)::numeric end
      from b cross join lateral jsonb_each(b.properties) as kv(k, v)
             cross join lateral (values ('sum', 'sum:' || kv.k), ('n', 'n:' || kv.k)) as m(kind, metric)
      where jsonb_typeof(kv.v) = 'number' and kv.k <> '' and strpos(kv.k, '.') = 0
      group by b.project_id, b.event_type, m.metric, m.kind, b.i, b.bucket
    ), stored as (
      select project_id, event_type, metric::text, interval::text, bucket_start as bucket, value from rollups
      where tenant_id = ${tenantId} and value <> 0
    )
    select * from (
      (select 'recomputed only' as side, * from (select * from recomputed where value <> 0 except select * from stored) x)
      union all
      (select 'stored only' as side, * from (select * from stored except select * from recomputed) y)
    ) d`;
  const sketches = await sql<{ side: string }[]>`
    with iv(i, secs) as (values ('10s', 10), ('1m', 60), ('5m', 300), ('1h', 3600), ('1d', 86400)),
    recomputed as (
      select e.project_id, e.event_type, iv.i as interval, to_timestamp(floor(extract(epoch from e.ts) / iv.secs) * iv.secs) as bucket,
             round(hll_cardinality(hll_add_agg(hll_hash_text(e.user_id), ${log2m}, ${regwidth}, ${expthresh}, ${sparseon})))::bigint as users
      from events e cross join iv where e.tenant_id = ${tenantId} and e.user_id is not null
      group by 1, 2, 3, 4
    ), stored as (
      select project_id, event_type, interval::text, bucket_start as bucket, round(hll_cardinality(sketch))::bigint as users
      from rollup_sketches where tenant_id = ${tenantId} and hll_cardinality(sketch) > 0
    )
    select * from (
      (select 'recomputed only' as side, * from (select * from recomputed except select * from stored) x)
      union all
      (select 'stored only' as side, * from (select * from stored except select * from recomputed) y)
    ) d`;
  return {
    rollups: rollups.length,
    sketches: sketches.length,
    sample: [...rollups.slice(0, 5), ...sketches.slice(0, 5)],
  };
}

/** Waits (up to `timeoutMs`) until every rollup and sketch of the tenant equals a recomputation from its raw events. */
export async function untilRecomputable(sql: Sql, tenantId: string, timeoutMs = 30_000): Promise<void> {
  await eventually(
    async () => {
      const m = await metricMismatches(sql, tenantId);
      return m.rollups === 0 && m.sketches === 0 ? true : undefined;
    },
    timeoutMs,
    250,
  );
}
