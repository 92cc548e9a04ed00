// The notification outbox seen by the dispatcher: claim due rows with a lease, record each attempt's outcome.
import { bindSql, type Sql } from './client';
import type { Channel } from '../../core/alert-rule';

export interface ClaimedNotification {
  tenantId: string;
  id: string;
  channel: Channel;
  payload: Record<string, unknown>;
  /** This attempt's number (1 = first). */
  attempt: number;
}

/**
 * Takes up to `limit` due notifications (or just `ids`), counting the attempt and leasing them for `leaseMs`: a
 * dispatcher that dies mid-send leaves them to be taken again when the lease runs out (same delivery id).
 */
export async function claimDue(
  sql: Sql,
  q: { nowMs: number; leaseMs: number; limit: number; ids?: string[] },
): Promise<ClaimedNotification[]> {
  const ids = q.ids ?? null;
  const rows = await sql<
    { tenant_id: string; id: string; channel: Channel; payload: Record<string, unknown>; attempts: number }[]
  >`
    update notifications n set attempts = n.attempts + 1, next_attempt_at = ${new Date(q.nowMs + q.leaseMs)}
    where (n.tenant_id, n.id) in (
      select tenant_id, id from notifications
      where status = 'pending' and next_attempt_at <= ${new Date(q.nowMs)} and (${ids}::uuid[] is null or id = any(${ids}::uuid[]))
      order by next_attempt_at
      limit ${q.limit}
      for update skip locked)
    returning n.tenant_id, n.id, n.channel, n.payload, n.attempts`;
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    id: r.id,
    channel: r.channel,
    payload: r.payload,
    attempt: r.attempts,
  }));
}

export interface AttemptOutcome {
  startedAtMs: number;
  durationMs: number;
  delivered: boolean;
  statusCode: number | null;
  error: string | null;
  /** When to try again (failed attempts with attempts left); null = give up (status failed). */
  retryAtMs: number | null;
}

export async function recordAttempt(sql: Sql, n: ClaimedNotification, o: AttemptOutcome): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      insert into delivery_attempts (tenant_id, notification_id, attempt, started_at, duration_ms, outcome, status_code, error)
      values (${n.tenantId}, ${n.id}, ${n.attempt}, ${new Date(o.startedAtMs)}, ${o.durationMs}, ${o.delivered ? 'delivered' : 'failed'}, ${o.statusCode}, ${o.error})
      on conflict do nothing`;
    if (o.delivered) {
      await tx`update notifications set status = 'delivered', delivered_at = now(), last_error = null where tenant_id = ${n.tenantId} and id = ${n.id} and status = 'pending'`;
    } else if (o.retryAtMs === null) {
      await tx`update notifications set status = 'failed', last_error = ${o.error} where tenant_id = ${n.tenantId} and id = ${n.id} and status = 'pending'`;
    } else {
      await tx`update notifications set next_attempt_at = ${new Date(o.retryAtMs)}, last_error = ${o.error} where tenant_id = ${n.tenantId} and id = ${n.id} and status = 'pending'`;
    }
  });
}

/** The outbox as the dispatcher sees it, bound to the pool. */
export const createNotificationOutbox = (sql: Sql) => bindSql(sql, { claimDue, recordAttempt });
export type NotificationOutbox = ReturnType<typeof createNotificationOutbox>;
