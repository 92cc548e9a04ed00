// Attempts of records that fail on their own (docs/architecture.md#rule-3-offsets-move-only-after-the-effect) and redrives from the DLQ, in Postgres.
// Record content never goes into these queries as text: Postgres text cannot hold the NUL a poison may carry.
import { bindSql, type Sql } from './client';
import type { RecordOrigin } from '../../core/dead-letter';

export interface FailedAttempt {
  origin: RecordOrigin;
  tenantId: string | null;
  fingerprint: Buffer;
  /** One line, already free of control characters (describeFailure). */
  error: string;
}

/**
 * Counts one more failed attempt of a record and returns the total, or 'dead_lettered' when this very record
 * (same fingerprint) is already in the DLQ. A different record at the same position starts over at 1.
 */
export async function countAttempt(sql: Sql, a: FailedAttempt): Promise<{ attempts: number } | 'dead_lettered'> {
  const [row] = await sql<{ attempts: number }[]>`
    insert into record_attempts as a (topic, partition, "offset", tenant_id, fingerprint, attempts, first_error, last_error)
    values (${a.origin.topic}, ${a.origin.partition}, ${a.origin.offset}, ${a.tenantId}, ${a.fingerprint}, 1, ${a.error}, ${a.error})
    on conflict (topic, partition, "offset") do update set
      attempts = case when a.fingerprint = excluded.fingerprint then a.attempts + 1 else 1 end,
      first_error = case when a.fingerprint = excluded.fingerprint then a.first_error else excluded.first_error end,
      first_failed_at = case when a.fingerprint = excluded.fingerprint then a.first_failed_at else now() end,
      dead_lettered_at = null,
      tenant_id = excluded.tenant_id,
      fingerprint = excluded.fingerprint,
      last_error = excluded.last_error,
      updated_at = now()
    where a.dead_lettered_at is null or a.fingerprint <> excluded.fingerprint
    returning attempts`;
  return row ? { attempts: row.attempts } : 'dead_lettered';
}

const positionKey = (o: RecordOrigin) => `${o.topic}\u0000${o.partition}\u0000${o.offset}`;

/** Which of these records (position and fingerprint) were written to the DLQ already. */
export async function alreadyDeadLettered(
  sql: Sql,
  records: { origin: RecordOrigin; fingerprint: Buffer }[],
): Promise<(r: { origin: RecordOrigin }) => boolean> {
  if (records.length === 0) return () => false;
  const rows = records.map((r) => ({
    t: r.origin.topic,
    p: r.origin.partition,
    o: r.origin.offset,
    f: r.fingerprint.toString('hex'),
  }));
  const found = await sql<{ topic: string; partition: number; offset: string }[]>`
    select a.topic, a.partition, a."offset"::text as "offset"
    from jsonb_to_recordset(${sql.json(rows)}) as x(t text, p int, o bigint, f text)
    join record_attempts a on a.topic = x.t and a.partition = x.p and a."offset" = x.o
    where a.dead_lettered_at is not null and a.fingerprint = decode(x.f, 'hex')`;
  const done = new Set(
    found.map((r) => positionKey({ topic: r.topic, partition: r.partition, offset: Number(r.offset) })),
  );
  return (r) => done.has(positionKey(r.origin));
}

/** Records that these records are in the DLQ now, with their attempts and last error. */
export async function markDeadLettered(sql: Sql, records: (FailedAttempt & { attempts: number })[]): Promise<void> {
  if (records.length === 0) return;
  const rows = records.map((r) => ({
    t: r.origin.topic,
    p: r.origin.partition,
    o: r.origin.offset,
    tenant: r.tenantId,
    f: r.fingerprint.toString('hex'),
    n: r.attempts,
    e: r.error,
  }));
  await sql`
    insert into record_attempts as a (topic, partition, "offset", tenant_id, fingerprint, attempts, first_error, last_error, dead_lettered_at)
    select x.t, x.p, x.o, x.tenant, decode(x.f, 'hex'), x.n, x.e, x.e, now()
    from jsonb_to_recordset(${sql.json(rows)}) as x(t text, p int, o bigint, tenant uuid, f text, n int, e text)
    order by x.t, x.p, x.o
    on conflict (topic, partition, "offset") do update set
      attempts = excluded.attempts,
      first_error = case when a.fingerprint = excluded.fingerprint then a.first_error else excluded.first_error end,
      last_error = excluded.last_error,
      tenant_id = excluded.tenant_id,
      fingerprint = excluded.fingerprint,
      dead_lettered_at = now(),
      updated_at = now()`;
}

export interface Redrive {
  dlq: RecordOrigin;
  tenantId: string | null;
  target: RecordOrigin;
}

export interface RedriveRow {
  redrivenAt: Date;
  target: RecordOrigin;
}

/** The redrives already recorded for these DLQ positions, by `<partition>:<offset>`. */
export async function findRedrives(
  sql: Sql,
  dlqTopic: string,
  positions: { partition: number; offset: number }[],
): Promise<Map<string, RedriveRow>> {
  if (positions.length === 0) return new Map();
  const rows = await sql<
    {
      partition: number;
      offset: string;
      redrivenAt: Date;
      targetTopic: string;
      targetPartition: number;
      targetOffset: string;
    }[]
  >`
    select d.dlq_partition as partition, d.dlq_offset::text as "offset", d.redriven_at as "redrivenAt",
           d.target_topic as "targetTopic", d.target_partition as "targetPartition", d.target_offset::text as "targetOffset"
    from jsonb_to_recordset(${sql.json(positions.map((p) => ({ p: p.partition, o: p.offset })))}) as x(p int, o bigint)
    join dlq_redrives d on d.dlq_topic = ${dlqTopic} and d.dlq_partition = x.p and d.dlq_offset = x.o`;
  return new Map(
    rows.map((r) => [
      `${r.partition}:${r.offset}`,
      {
        redrivenAt: r.redrivenAt,
        target: { topic: r.targetTopic, partition: r.targetPartition, offset: Number(r.targetOffset) },
      },
    ]),
  );
}

export async function recordRedrives(sql: Sql, redrives: Redrive[]): Promise<void> {
  if (redrives.length === 0) return;
  const rows = redrives.map((r) => ({
    t: r.dlq.topic,
    p: r.dlq.partition,
    o: r.dlq.offset,
    tenant: r.tenantId,
    tt: r.target.topic,
    tp: r.target.partition,
    tofs: r.target.offset,
  }));
  await sql`
    insert into dlq_redrives (dlq_topic, dlq_partition, dlq_offset, tenant_id, target_topic, target_partition, target_offset)
    select x.t, x.p, x.o, x.tenant, x.tt, x.tp, x.tofs
    from jsonb_to_recordset(${sql.json(rows)}) as x(t text, p int, o bigint, tenant uuid, tt text, tp int, tofs bigint)
    order by x.t, x.p, x.o
    on conflict do nothing`;
}

/** Slugs of the given tenants, for display. */
export async function tenantSlugs(sql: Sql, tenantIds: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(tenantIds)];
  if (ids.length === 0) return new Map();
  const rows = await sql<
    { id: string; slug: string }[]
  >`select id, slug from tenants where id = any(${sql.array(ids)}::uuid[])`;
  return new Map(rows.map((r) => [r.id, r.slug]));
}

/** Attempts and dead-letter marks of the aggregate step (Adapters.deadLetters), with the process's client. */
export const createDeadLetterStore = (sql: Sql) =>
  bindSql(sql, { countAttempt, alreadyDeadLettered, markDeadLettered });
export type DeadLetterStore = ReturnType<typeof createDeadLetterStore>;
