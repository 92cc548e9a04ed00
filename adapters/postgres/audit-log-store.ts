// The audit log in Postgres (migration 022): appends only; the app role can neither update nor delete its rows.
import { bindSql, type Sql } from './client';
import type { AuditEntry, AuditLog } from '../../core/audit-log';

/** Appends one entry; pass a transaction to record it with the change it describes. */
export async function appendAudit(sql: Sql, e: AuditEntry): Promise<void> {
  await sql`
    insert into audit_log (tenant_id, at, actor_kind, actor_id, action, target, before, after)
    values (${e.tenantId}, ${new Date(e.atMs)}, ${e.actor.kind}, ${e.actor.id}, ${e.action}, ${e.target},
            ${e.before === null ? null : sql.json(e.before as never)}, ${e.after === null ? null : sql.json(e.after as never)})`;
}

export const createAuditLog = (sql: Sql): AuditLog => bindSql(sql, { append: appendAudit });
