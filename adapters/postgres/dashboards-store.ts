// Dashboards in Postgres: name and widgets (JSON) per tenant, one of them the default.
import { randomUUID } from 'node:crypto';
import { bindSql, isUniqueViolation, type Sql } from './client';
import { defaultWidgets, type Widget } from '../../core/dashboards';
import { auditedChange, auditedCreate, type Audited } from './audit-log-store';
import type { AuditEntry } from '../../core/audit-log';

export interface Dashboard {
  id: string;
  name: string;
  widgets: Widget[];
  isDefault: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const columns = (sql: Sql) =>
  sql`id, name, widgets, is_default as "isDefault", created_at as "createdAt", updated_at as "updatedAt"`;

export async function listDashboards(sql: Sql, tenantId: string): Promise<Dashboard[]> {
  return sql<
    Dashboard[]
  >`select ${columns(sql)} from dashboards where tenant_id = ${tenantId} order by is_default desc, created_at, id`;
}

export async function getDashboard(sql: Sql, tenantId: string, id: string): Promise<Dashboard | null> {
  const [d] = await sql<
    Dashboard[]
  >`select ${columns(sql)} from dashboards where tenant_id = ${tenantId} and id = ${id}`;
  return d ?? null;
}

export async function insertDashboard(
  sql: Sql,
  tenantId: string,
  id: string,
  d: { name: string; widgets: Widget[]; isDefault?: boolean },
  audit?: (after: Dashboard | null) => AuditEntry | undefined,
): Promise<Dashboard | null> {
  return auditedCreate(
    sql,
    async (tx) => {
      const [row] = await tx<Dashboard[]>`
        insert into dashboards (tenant_id, id, name, widgets, is_default)
        values (${tenantId}, ${id}, ${d.name}, ${tx.json(d.widgets as never)}, ${d.isDefault ?? false})
        on conflict do nothing
        returning ${columns(tx)}`;
      return row ?? null;
    },
    audit,
  );
}

/** The dashboard as it is, locked until the transaction ends (the `before` of an audited change). */
async function lockedDashboard(tx: Sql, tenantId: string, id: string): Promise<Dashboard | null> {
  const [d] = await tx<
    Dashboard[]
  >`select ${columns(tx)} from dashboards where tenant_id = ${tenantId} and id = ${id} for update`;
  return d ?? null;
}

export async function updateDashboard(
  sql: Sql,
  tenantId: string,
  id: string,
  d: { name: string; widgets: Widget[] },
  audit?: Audited<Dashboard | null, Dashboard | null>,
): Promise<Dashboard | null> {
  return auditedChange(
    sql,
    (tx) => lockedDashboard(tx, tenantId, id),
    async (tx) => {
      const [row] = await tx<Dashboard[]>`
        update dashboards set name = ${d.name}, widgets = ${tx.json(d.widgets as never)}, updated_at = now()
        where tenant_id = ${tenantId} and id = ${id}
        returning ${columns(tx)}`;
      return row ?? null;
    },
    audit,
  );
}

export async function deleteDashboard(
  sql: Sql,
  tenantId: string,
  id: string,
  audit?: Audited<Dashboard | null, boolean>,
): Promise<boolean> {
  return auditedChange(
    sql,
    (tx) => lockedDashboard(tx, tenantId, id),
    async (tx) => (await tx`delete from dashboards where tenant_id = ${tenantId} and id = ${id}`).count > 0,
    audit,
  );
}

/** The tenant's event types, busiest first over the last 7 days (from the daily rollups). */
export async function busiestEventTypes(sql: Sql, tenantId: string, limit: number): Promise<string[]> {
  const rows = await sql<{ t: string }[]>`
    select event_type as t from rollups
    where tenant_id = ${tenantId} and metric = 'count' and interval = '1d' and bucket_start >= now() - interval '7 days'
    group by event_type order by sum(value) desc, event_type limit ${limit}`;
  return rows.map((r) => r.t);
}

/** The tenant's default dashboard, made from its busiest event types (or the given ones) unless it has one. */
export async function ensureDefaultDashboard(sql: Sql, tenantId: string, eventTypes?: string[]): Promise<void> {
  const types = eventTypes ?? (await busiestEventTypes(sql, tenantId, 3));
  const overview = { name: 'Overview', widgets: defaultWidgets(types), isDefault: true };
  await insertDashboard(sql, tenantId, randomUUID(), overview).catch((e: unknown) => {
    if (!isUniqueViolation(e)) throw e; // made concurrently by another request
  });
}

/** Dashboards (Adapters.dashboards); the functions above with the process's client. */
export const createDashboardsStore = (sql: Sql) =>
  bindSql(sql, {
    listDashboards,
    getDashboard,
    insertDashboard,
    updateDashboard,
    deleteDashboard,
    ensureDefaultDashboard,
  });
export type DashboardsStore = ReturnType<typeof createDashboardsStore>;
