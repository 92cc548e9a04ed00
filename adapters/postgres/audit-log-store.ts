// The audit log in Postgres (migrations 022, 031): appends only (the app role can neither update nor delete its
// rows), and the newest-first pages of GET /v1/audit-log.
import { bindSql, type Sql } from './client';
import type { AuditEntry, AuditLog, AuditQuery, AuditReader, StoredAuditEntry } from '../../core/audit-log';

/** Appends one entry; pass a transaction to record it with the change it describes. */
export async function appendAudit(sql: Sql, e: AuditEntry): Promise<void> {
  await sql`
    insert into audit_log (tenant_id, at, actor_kind, actor_id, action, target, before, after)
    values (${e.tenantId}, ${new Date(e.atMs)}, ${e.actor.kind}, ${e.actor.id}, ${e.action}, ${e.target},
            ${e.before === null ? null : sql.json(e.before as never)}, ${e.after === null ? null : sql.json(e.after as never)})`;
}

/**
 * How a store's change is audited: `entry` makes the entry of the state before (read by `before` in the change's
 * transaction, after locking what it reads) and the change's result; undefined when nothing changed (no entry).
 */
export type Audited<B, A> = (before: B, after: A) => AuditEntry | undefined;

/**
 * Runs `change` and appends the entry `audit` makes in one transaction (without `audit`, just the change, with no
 * transaction of its own). `before` and `change` get the transaction and must not open one themselves.
 */
export async function auditedChange<B, A>(
  sql: Sql,
  before: (tx: Sql) => Promise<B>,
  change: (tx: Sql, before: B | undefined) => Promise<A>,
  audit: Audited<B, A> | undefined,
): Promise<A> {
  if (!audit) return change(sql, undefined);
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    const prior = await before(tx);
    const result = await change(tx, prior);
    const entry = audit(prior, result);
    if (entry) await appendAudit(tx, entry);
    return result;
  }) as Promise<A>;
}

/** auditedChange for a change with no prior state to show (a creation). */
export const auditedCreate = <A>(
  sql: Sql,
  change: (tx: Sql) => Promise<A>,
  audit: ((after: A) => AuditEntry | undefined) | undefined,
): Promise<A> =>
  auditedChange(
    sql,
    async () => null,
    (tx) => change(tx),
    audit && ((_: null, after: A) => audit(after)),
  );

interface Row {
  id: string;
  at: Date;
  actor_kind: StoredAuditEntry['actor']['kind'];
  actor_id: string;
  email: string | null;
  action: StoredAuditEntry['action'];
  target: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** The upper end of a dotted prefix's range: `dashboard.` → `dashboard/` (the next byte), compared in "C". */
const prefixEnd = (prefix: string) =>
  prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);

/** One page, newest first: keyset on (tenant_id, id) below the cursor, the filters on top. */
export async function auditPage(sql: Sql, q: AuditQuery): Promise<StoredAuditEntry[]> {
  const a = q.action;
  const conditions = [
    q.beforeId === undefined ? sql`` : sql`and a.id < ${q.beforeId}::bigint`,
    a === undefined
      ? sql``
      : a.endsWith('.')
        ? sql`and (a.action collate "C") >= ${a} and (a.action collate "C") < ${prefixEnd(a)}`
        : sql`and (a.action collate "C") = ${a}`,
    q.actor === undefined ? sql`` : sql`and a.actor_kind = ${q.actor.kind} and a.actor_id = ${q.actor.id}`,
    q.target === undefined ? sql`` : sql`and a.target = ${q.target}`,
    q.fromMs === undefined ? sql`` : sql`and a.at >= ${new Date(q.fromMs)}`,
    q.toMs === undefined ? sql`` : sql`and a.at < ${new Date(q.toMs)}`,
  ];
  const rows = await sql<Row[]>`
    select a.id::text as id, a.at, a.actor_kind, a.actor_id, u.email, a.action, a.target, a.before, a.after
    from audit_log a
    left join users u on a.actor_kind = 'user' and u.id::text = a.actor_id
    where a.tenant_id = ${q.tenantId} ${conditions[0]!} ${conditions[1]!} ${conditions[2]!} ${conditions[3]!}
          ${conditions[4]!} ${conditions[5]!}
    order by a.id desc
    limit ${q.limit}`;
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actor: { kind: r.actor_kind, id: r.actor_id },
    actorEmail: r.email,
    action: r.action,
    target: r.target,
    before: r.before,
    after: r.after,
  }));
}

export const createAuditLog = (sql: Sql): AuditLog & AuditReader =>
  bindSql(sql, { append: appendAudit, page: auditPage });
