// The reads behind GET /v1/status.
import type { Sql } from './client';

/** Events counted in the 10s buckets starting in [fromMs, toMs], over every event type of the given projects. */
export async function countRecentEvents(
  sql: Sql,
  q: { tenantId: string; projectIds: string[]; fromMs: number; toMs: number },
): Promise<number> {
  if (q.projectIds.length === 0) return 0;
  const [row] = await sql<{ n: string }[]>`
    select coalesce(sum(value), 0)::text as n
    from rollups
    where tenant_id = ${q.tenantId} and interval = '10s' and metric = 'count'
      and bucket_start >= ${new Date(q.fromMs)} and bucket_start <= ${new Date(q.toMs)}
      and project_id = any(${sql.array(q.projectIds)}::uuid[])`;
  return Number(row?.n ?? 0);
}
