// Metrics computed from raw events at query time: for property filters (any metric) and for sum/avg of paths
// the rollups do not cover. Same arithmetic as the rollups: numeric sums of JSON numbers, and unique users as
// the estimate of an hll sketch built with the same parameters and hash as the stored ones.
import type { Sql } from './client';
import { HLL_PARAMS } from './aggregate-store';
import { propertyFilter } from './property-filter';
import type { RawBucket } from '../../core/metric-query';

export async function metricsFromRawEvents(
  sql: Sql,
  q: {
    tenantId: string;
    projectIds: string[];
    eventType: string;
    bucketMs: number;
    /** Buckets are aligned to this instant (default: the epoch). */
    originMs?: number;
    fromMs: number;
    toMs: number;
    props: [string[], string][];
    /** The property summed (sum/avg); null for count and unique_users. */
    path: string[] | null;
  },
): Promise<Map<number, RawBucket>> {
  const none = sql``;
  const origin = q.originMs ?? 0;
  const propConds = q.props.map(([path, value]) => propertyFilter(sql, sql`properties`, path, value));
  const { log2m, regwidth, expthresh, sparseon } = HLL_PARAMS;
  const value = q.path === null ? sql`null::jsonb` : sql`properties #> ${q.path}::text[]`;
  const rows = await sql<{ bucket: string; n: string; u: string | null; s: string | null; c: string }[]>`
    select bucket::text, count(*)::text as n,
           round(hll_cardinality(hll_add_agg(hll_hash_text(user_id), ${log2m}, ${regwidth}, ${expthresh}, ${sparseon})))::bigint::text as u,
           sum(case when jsonb_typeof(v) = 'number' then v::numeric end)::text as s,
           count(case when jsonb_typeof(v) = 'number' then 1 end)::text as c
    from (
      select (floor((extract(epoch from ts) * 1000 - ${origin}) / ${q.bucketMs}) * ${q.bucketMs} + ${origin})::bigint as bucket, user_id, ${value} as v
      from events
      where tenant_id = ${q.tenantId} and project_id = any(${sql.array(q.projectIds)}::uuid[]) and event_type = ${q.eventType}
        and ts >= ${new Date(q.fromMs)} and ts < ${new Date(q.toMs)}
        ${propConds.reduce((acc, c) => sql`${acc} ${c}`, none)}
    ) e
    group by bucket`;
  return new Map(
    rows.map((r) => [Number(r.bucket), { count: Number(r.n), uniqueUsers: Number(r.u ?? 0), sum: r.s ?? '0', n: r.c }]),
  );
}
