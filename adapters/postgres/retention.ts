// Retention: raw-event partitions are dropped whole; dedupe ids and short-lived rollups are deleted in chunks.
import { bindSql, type Sql } from './client';
import { dayStart, partitionName } from './partitions';

const CHUNK = 10_000;

export interface RetentionResult {
  droppedPartitions: string[];
  deletedEventIds: number;
  deletedRollups: number;
  /** record_attempts and dlq_redrives rows older than the raw retention (their records are past replay too). */
  deletedRecordBookkeeping: number;
  /** Raw events (and their dedupe ids) of tenants whose own retention is shorter than the platform's. */
  deletedTenantEvents: number;
}

/** Daily partitions of `events` that end at or before `cutoffMs`. */
export async function expiredPartitions(sql: Sql, cutoffMs: number): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select c.relname as name
    from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
    where p.relname = 'events' and c.relname ~ '^events_[0-9]{8}$'`;
  const lastExpiredDay = dayStart(cutoffMs) - 86_400_000; // a partition [day, day+1d) is expired when day+1d <= cutoff
  return rows
    .map((r) => r.name)
    .filter((name) => name <= partitionName(lastExpiredDay))
    .sort();
}

async function deleteInChunks(run: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await run();
    total += n;
    if (n < CHUNK) return total;
  }
}

/**
 * Applies retention at `nowMs`. Dedupe ids are kept exactly as long as raw events (docs/architecture.md#rule-2-at-least-once-in-exactly-once-effect: 2a drops older
 * events before they reach the dedupe table, so a forgotten id cannot let an old duplicate back in).
 */
export async function applyRetention(
  sql: Sql,
  nowMs: number,
  retentionMs: number,
  shortRollups: { interval: string; keepMs: number }[],
): Promise<RetentionResult> {
  const cutoff = nowMs - retentionMs;
  const droppedPartitions: string[] = [];
  for (const name of await expiredPartitions(sql, cutoff)) {
    // The name comes from the catalog query above and matches ^events_[0-9]{8}$: safe to interpolate.
    await sql.unsafe(`drop table if exists ${name}`);
    droppedPartitions.push(name);
  }
  const deletedEventIds = await deleteInChunks(async () => {
    const r = await sql`
      delete from event_ids where ctid in (select ctid from event_ids where event_ts < ${new Date(cutoff)} limit ${CHUNK})`;
    return r.count;
  });
  let deletedRollups = 0;
  for (const { interval, keepMs } of shortRollups) {
    const before = new Date(nowMs - keepMs);
    deletedRollups += await deleteInChunks(async () => {
      const r = await sql`
        delete from rollups where ctid in (
          select ctid from rollups where interval = ${interval} and bucket_start < ${before} limit ${CHUNK})`;
      return r.count;
    });
    deletedRollups += await deleteInChunks(async () => {
      const r = await sql`
        delete from rollup_sketches where ctid in (
          select ctid from rollup_sketches where interval = ${interval} and bucket_start < ${before} limit ${CHUNK})`;
      return r.count;
    });
    deletedRollups += await deleteInChunks(async () => {
      const r = await sql`
        delete from quantile_sketches where ctid in (
          select ctid from quantile_sketches where interval = ${interval} and bucket_start < ${before} limit ${CHUNK})`;
      return r.count;
    });
    // Breakdowns by declared dimensions have no 10s rows (migration 020): nothing of theirs expires here.
  }
  // Longer intervals outlive raw events: they are the only history left after retention.
  // Attempts and redrives of records older than the raw retention: Kafka keeps events_raw about as long, so such
  // records cannot come back, and a dead-lettered record's DLQ copy keeps its error for the operator.
  const deletedRecordBookkeeping =
    (await deleteInChunks(async () => {
      const r = await sql`
        delete from record_attempts where ctid in (select ctid from record_attempts where updated_at < ${new Date(cutoff)} limit ${CHUNK})`;
      return r.count;
    })) +
    (await deleteInChunks(async () => {
      const r = await sql`
        delete from dlq_redrives where ctid in (select ctid from dlq_redrives where redriven_at < ${new Date(cutoff)} limit ${CHUNK})`;
      return r.count;
    }));
  // Tenants with a shorter retention than the platform's: their older rows go in chunks (partitions are shared).
  let deletedTenantEvents = 0;
  const shorter = await sql<{ id: string; days: number }[]>`
    select id, retention_days as days from tenants where retention_days is not null and retention_days * 86400000::bigint < ${retentionMs}`;
  for (const t of shorter) {
    const tenantCutoff = new Date(nowMs - t.days * 86_400_000);
    deletedTenantEvents += await deleteInChunks(async () => {
      const r = await sql`
        delete from events where (tenant_id, ts, event_id) in (
          select tenant_id, ts, event_id from events where tenant_id = ${t.id} and ts < ${tenantCutoff} limit ${CHUNK})`;
      return r.count;
    });
    await deleteInChunks(async () => {
      const r = await sql`
        delete from event_ids where (tenant_id, event_id) in (
          select tenant_id, event_id from event_ids where tenant_id = ${t.id} and event_ts < ${tenantCutoff} limit ${CHUNK})`;
      return r.count;
    });
  }
  return { droppedPartitions, deletedEventIds, deletedRollups, deletedRecordBookkeeping, deletedTenantEvents };
}

/** Retention as maintenance applies it (Adapters.dataRetention), with the process's client. */
export const createRetentionStore = (sql: Sql) => bindSql(sql, { applyRetention });
export type RetentionStore = ReturnType<typeof createRetentionStore>;
