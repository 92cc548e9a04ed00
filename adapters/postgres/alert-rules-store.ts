// Alert rules in Postgres: the spec as JSON plus the columns the engine selects by.
import { bindSql, type Sql } from './client';
import { auditedChange, auditedCreate, type Audited } from './audit-log-store';
import type { AuditEntry } from '../../core/audit-log';
import {
  ruleFromSpec,
  ticksWhenOk,
  watchedEventTypes,
  type AlertRule,
  type StoredRuleSpec,
} from '../../core/alert-rule';

export interface StoredRule {
  rule: AlertRule;
  spec: StoredRuleSpec;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  tenant_id: string;
  id: string;
  project_id: string | null;
  spec: StoredRuleSpec;
  created_at: Date;
  updated_at: Date;
}

const toStored = (r: Row): StoredRule => ({
  rule: ruleFromSpec({ tenantId: r.tenant_id, id: r.id, projectId: r.project_id }, r.spec),
  spec: r.spec,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

function columns(spec: StoredRuleSpec, projectId: string | null) {
  const rule = ruleFromSpec({ tenantId: '', id: '', projectId }, spec);
  return { eventTypes: watchedEventTypes(rule), ticks: ticksWhenOk(rule) };
}

export async function insertRule(
  sql: Sql,
  tenantId: string,
  id: string,
  projectId: string | null,
  spec: StoredRuleSpec,
  audit?: (after: StoredRule) => AuditEntry | undefined,
): Promise<StoredRule> {
  return auditedCreate(sql, (tx) => insertRow(tx, tenantId, id, projectId, spec), audit);
}

async function insertRow(sql: Sql, tenantId: string, id: string, projectId: string | null, spec: StoredRuleSpec) {
  const c = columns(spec, projectId);
  const [row] = await sql<Row[]>`
    insert into alert_rules (tenant_id, id, project_id, name, spec, enabled, event_types, ticks_when_ok)
    values (${tenantId}, ${id}, ${projectId}, ${spec.name}, ${sql.json(spec as never)}, ${spec.enabled}, ${sql.array(c.eventTypes)}, ${c.ticks})
    returning tenant_id, id, project_id, spec, created_at, updated_at`;
  return toStored(row!);
}

export async function updateRule(
  sql: Sql,
  tenantId: string,
  id: string,
  projectId: string | null,
  spec: StoredRuleSpec,
  audit?: Audited<StoredRule | null, StoredRule | null>,
): Promise<StoredRule | null> {
  return auditedChange(
    sql,
    (tx) => lockedRule(tx, tenantId, id),
    (tx) => updateRow(tx, tenantId, id, projectId, spec),
    audit,
  );
}

/** The rule as it is, locked until the transaction ends (the `before` of an audited change). */
async function lockedRule(tx: Sql, tenantId: string, id: string): Promise<StoredRule | null> {
  await tx`select 1 from alert_rules where tenant_id = ${tenantId} and id = ${id} for update`;
  return getRule(tx, tenantId, id);
}

async function updateRow(sql: Sql, tenantId: string, id: string, projectId: string | null, spec: StoredRuleSpec) {
  const c = columns(spec, projectId);
  const groupBy = spec.group_by ?? null;
  // A changed group_by makes the old groups meaningless: they go, and the rule starts again from ok (the states
  // are deleted in the same statement; the CTEs all see the rule as it was).
  const [row] = await sql<Row[]>`
    with changed as (
      select 1 from alert_rules
      where tenant_id = ${tenantId} and id = ${id} and (spec->>'group_by') is distinct from ${groupBy}::text
    ), groups as (
      delete from alert_group_states where tenant_id = ${tenantId} and rule_id = ${id} and exists (select 1 from changed)
    ), states as (
      delete from alert_states where tenant_id = ${tenantId} and rule_id = ${id} and exists (select 1 from changed)
    )
    update alert_rules set project_id = ${projectId}, name = ${spec.name}, spec = ${sql.json(spec as never)}, enabled = ${spec.enabled},
           event_types = ${sql.array(c.eventTypes)}, ticks_when_ok = ${c.ticks}, updated_at = now()
    where tenant_id = ${tenantId} and id = ${id}
    returning tenant_id, id, project_id, spec, created_at, updated_at`;
  return row ? toStored(row) : null;
}

export async function deleteRule(
  sql: Sql,
  tenantId: string,
  id: string,
  audit?: Audited<StoredRule | null, boolean>,
): Promise<boolean> {
  return auditedChange(
    sql,
    (tx) => lockedRule(tx, tenantId, id),
    async (tx) => (await tx`delete from alert_rules where tenant_id = ${tenantId} and id = ${id}`).count > 0,
    audit,
  );
}

export async function getRule(sql: Sql, tenantId: string, id: string): Promise<StoredRule | null> {
  const [row] = await sql<
    Row[]
  >`select tenant_id, id, project_id, spec, created_at, updated_at from alert_rules where tenant_id = ${tenantId} and id = ${id}`;
  return row ? toStored(row) : null;
}

export async function listRules(sql: Sql, tenantId: string): Promise<StoredRule[]> {
  const rows = await sql<
    Row[]
  >`select tenant_id, id, project_id, spec, created_at, updated_at from alert_rules where tenant_id = ${tenantId} order by created_at, id`;
  return rows.map(toStored);
}

/** Enabled rules woken by notices about these (tenant, project, event type) triples. */
export async function rulesForNotices(
  sql: Sql,
  notices: { tenantId: string; projectId: string; eventType: string }[],
): Promise<AlertRule[]> {
  if (notices.length === 0) return [];
  const rows = await sql<Row[]>`
    select distinct r.tenant_id, r.id, r.project_id, r.spec, r.created_at, r.updated_at
    from jsonb_to_recordset(${sql.json(notices.map((n) => ({ t: n.tenantId, p: n.projectId, y: n.eventType })))}) as x(t uuid, p uuid, y text)
    join alert_rules r on r.tenant_id = x.t and r.enabled and r.event_types @> array[x.y collate "C"]
                       and (r.project_id is null or r.project_id = x.p)`;
  return rows.map((r) => toStored(r).rule);
}

/** Enabled rules the scheduled tick evaluates: every rule not ok, and ok rules that can fire without events. */
export async function rulesForTick(sql: Sql): Promise<AlertRule[]> {
  const rows = await sql<Row[]>`
    select r.tenant_id, r.id, r.project_id, r.spec, r.created_at, r.updated_at
    from alert_rules r left join alert_states s on s.tenant_id = r.tenant_id and s.rule_id = r.id
    where r.enabled and (r.ticks_when_ok or coalesce(s.state, 'ok') <> 'ok')`;
  return rows.map((r) => toStored(r).rule);
}

/** The rules of the query API and the alert engine, bound to the pool. */
export const createAlertRulesStore = (sql: Sql) =>
  bindSql(sql, { insertRule, updateRule, deleteRule, getRule, listRules, rulesForNotices, rulesForTick });
export type AlertRulesStore = ReturnType<typeof createAlertRulesStore>;
