// Metrics computed from raw events at query time (for filters the rollups do not cover).
import type { Sql } from './client';

export async function countFromRawEvents(
  sql: Sql,
  q: { tenantId: string; projectIds: string[]; eventType: string; bucketMs: number; fromMs: number; toMs: number; props: [string[], string][] },
): Promise<Map<number, number>> {
  const none = sql``;
  const propConds = q.props.map(([path, value]) => sql`and properties #>> ${path}::text[] = ${value}`);
  const rows = await sql<{ bucket: string; n: string }[]>`
    select (floor(extract(epoch from ts) * 1000 / ${q.bucketMs}) * ${q.bucketMs})::bigint::text as bucket, count(*)::text as n
    from events
    where tenant_id = ${q.tenantId} and project_id = any(${sql.array(q.projectIds)}::uuid[]) and event_type = ${q.eventType}
      and ts >= ${new Date(q.fromMs)} and ts < ${new Date(q.toMs)}
      ${propConds.reduce((acc, c) => sql`${acc} ${c}`, none)}
    group by 1`;
  return new Map(rows.map((r) => [Number(r.bucket), Number(r.n)]));
}
