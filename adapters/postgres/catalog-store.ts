// The event catalog in Postgres: the registry's load and batched writes, the catalog reads, declarations.
import { setDimensions } from './dimension-store';
import { bindSql, type Sql } from './client';
import { appendAudit } from './audit-log-store';
import type { AuditEntry } from '../../core/audit-log';
import {
  declarationCap,
  type CatalogCap,
  type CatalogLimits,
  type DeclaredType,
  type SchemaMode,
  type TypeStatus,
  type ViolationReason,
  type ViolationSample,
} from '../../core/catalog';
import { ok, type Ok, type Rejected } from '../../core/outcome';

/** What changed in one project's catalog since `since` (everything when since is null). */
export interface CatalogLoad {
  mode: SchemaMode;
  /** The database's clock at the time of the read: the next refresh reads from a little before it. */
  at: Date;
  types: { eventType: string; declared: boolean; status: TypeStatus }[];
  properties: {
    eventType: string;
    property: string;
    observed: string[];
    declared: DeclaredType | null;
    lastSeenMs: number | null;
  }[];
  /** Event types with violation rows (created since `since`). */
  violationTypes: string[];
}

/** One flush of every project's buffered registrations: three upserts, whatever the number of events. */
export interface CatalogWrite {
  types: { t: string; p: string; y: string; f: string; l: string }[];
  properties: { t: string; p: string; y: string; n: string; o: string[]; f: string; l: string }[];
  violations: {
    t: string;
    p: string;
    y: string;
    r: ViolationReason;
    c: number;
    f: string;
    l: string;
    s: ViolationSample[];
  }[];
}

export async function loadCatalog(
  sql: Sql,
  tenantId: string,
  projectId: string,
  since: Date | null,
): Promise<CatalogLoad | undefined> {
  const from = since ?? new Date(0);
  const [row] = await sql<
    {
      mode: SchemaMode;
      at: Date;
      types: [string, boolean, TypeStatus][];
      props: [string, string, string[], DeclaredType | null, number | null][];
      violations: string[];
    }[]
  >`
    select p.schema_mode as mode, now() as at,
      coalesce((select json_agg(json_build_array(t.event_type, t.declared, t.status))
                from event_types t
                where t.tenant_id = p.tenant_id and t.project_id = p.id and t.changed_at >= ${from}), '[]') as types,
      coalesce((select json_agg(json_build_array(e.event_type, e.property, e.observed_types, e.declared_type,
                                                 (extract(epoch from e.last_seen) * 1000)::bigint))
                from event_properties e
                where e.tenant_id = p.tenant_id and e.project_id = p.id and e.changed_at >= ${from}), '[]') as props,
      coalesce((select json_agg(distinct v.event_type)
                from catalog_violations v
                where v.tenant_id = p.tenant_id and v.project_id = p.id and v.created_at >= ${from}), '[]') as violations
    from projects p
    where p.tenant_id = ${tenantId} and p.id = ${projectId}`;
  if (!row) return undefined;
  return {
    mode: row.mode,
    at: row.at,
    types: row.types.map(([eventType, declared, status]) => ({ eventType, declared, status })),
    properties: row.props.map(([eventType, property, observed, declared, lastSeenMs]) => ({
      eventType,
      property,
      observed,
      declared,
      lastSeenMs: lastSeenMs === null ? null : Number(lastSeenMs),
    })),
    violationTypes: row.violations,
  };
}

/**
 * Writes one flush in one transaction. Keys are upserted in primary-key order by every writer, so concurrent
 * flushes of several processes cannot deadlock; rows of projects deleted meanwhile are skipped by the joins.
 */
export async function writeCatalog(sql: Sql, w: CatalogWrite): Promise<void> {
  if (w.types.length === 0 && w.properties.length === 0 && w.violations.length === 0) return;
  await sql.begin(async (tx) => {
    if (w.types.length > 0) {
      await tx`
        insert into event_types as t (tenant_id, project_id, event_type, first_seen, last_seen)
        select x.t, x.p, x.y, x.f, x.l
        from jsonb_to_recordset(${tx.json(w.types)}) as x(t uuid, p uuid, y text, f timestamptz, l timestamptz)
        join projects pr on pr.tenant_id = x.t and pr.id = x.p
        order by x.t, x.p, x.y collate "C"
        on conflict (tenant_id, project_id, event_type) do update
          set first_seen = least(t.first_seen, excluded.first_seen), last_seen = greatest(t.last_seen, excluded.last_seen)`;
    }
    if (w.properties.length > 0) {
      // changed_at moves only when the observed types grow: that is what other processes' caches must learn.
      await tx`
        insert into event_properties as e (tenant_id, project_id, event_type, property, observed_types, first_seen, last_seen)
        select x.t, x.p, x.y, x.n, x.o, x.f, x.l
        from jsonb_to_recordset(${tx.json(w.properties)}) as x(t uuid, p uuid, y text, n text, o text[], f timestamptz, l timestamptz)
        join event_types et on et.tenant_id = x.t and et.project_id = x.p and et.event_type = x.y
        order by x.t, x.p, x.y collate "C", x.n collate "C"
        on conflict (tenant_id, project_id, event_type, property) do update set
          observed_types = case when excluded.observed_types <@ e.observed_types then e.observed_types
                                else array(select distinct u from unnest(e.observed_types || excluded.observed_types) as u order by 1) end,
          changed_at = case when excluded.observed_types <@ e.observed_types then e.changed_at else now() end,
          first_seen = least(e.first_seen, excluded.first_seen),
          last_seen = greatest(e.last_seen, excluded.last_seen)`;
    }
    if (w.violations.length > 0) {
      await tx`
        insert into catalog_violations as v (tenant_id, project_id, event_type, reason, count, first_seen, last_seen, samples)
        select x.t, x.p, x.y, x.r, x.c, x.f, x.l, x.s
        from jsonb_to_recordset(${tx.json(w.violations as never)}) as x(t uuid, p uuid, y text, r text, c bigint, f timestamptz, l timestamptz, s jsonb)
        join projects pr on pr.tenant_id = x.t and pr.id = x.p
        order by x.t, x.p, x.y collate "C", x.r collate "C"
        on conflict (tenant_id, project_id, event_type, reason) do update set
          count = v.count + excluded.count,
          first_seen = least(v.first_seen, excluded.first_seen),
          last_seen = greatest(v.last_seen, excluded.last_seen),
          samples = (select coalesce(jsonb_agg(s.sample order by s.sample ->> 'at' desc), '[]'::jsonb)
                     from (select a.sample from jsonb_array_elements(excluded.samples || v.samples) as a(sample)
                           order by a.sample ->> 'at' desc limit 10) as s)`;
    }
  });
}

export interface CatalogTypeRow {
  projectId: string;
  eventType: string;
  description: string | null;
  status: TypeStatus;
  declared: boolean;
  firstSeen: Date | null;
  lastSeen: Date | null;
  count24h: number;
  /** Declared dimensions (migration 015) and from when their rollups hold every event. */
  dimensions: { name: string; completeFrom: Date }[];
  properties: {
    name: string;
    observed: string[];
    declared: DeclaredType | null;
    firstSeen: Date | null;
    lastSeen: Date | null;
  }[];
}

/** Event types of the given projects with their properties and their count over the hourly rollups since `countFromMs`. */
export async function readCatalog(
  sql: Sql,
  q: { tenantId: string; projectIds: string[]; eventType?: string; countFromMs: number },
): Promise<CatalogTypeRow[]> {
  if (q.projectIds.length === 0) return [];
  const oneType = q.eventType === undefined ? sql`` : sql`and event_type = ${q.eventType}`;
  const types = await sql<Omit<CatalogTypeRow, 'count24h' | 'properties'>[]>`
    select project_id as "projectId", event_type as "eventType", description, status, declared,
           first_seen as "firstSeen", last_seen as "lastSeen"
    from event_types
    where tenant_id = ${q.tenantId} and project_id = any(${sql.array(q.projectIds)}::uuid[]) ${oneType}
    order by project_id, event_type`;
  if (types.length === 0) return [];
  const [props, counts, dims] = await Promise.all([
    sql<
      {
        projectId: string;
        eventType: string;
        name: string;
        observed: string[];
        declared: DeclaredType | null;
        firstSeen: Date | null;
        lastSeen: Date | null;
      }[]
    >`
      select project_id as "projectId", event_type as "eventType", property as name, observed_types as observed,
             declared_type as declared, first_seen as "firstSeen", last_seen as "lastSeen"
      from event_properties
      where tenant_id = ${q.tenantId} and project_id = any(${sql.array(q.projectIds)}::uuid[]) ${oneType}
      order by project_id, event_type, property`,
    // Every key column is bound (= or = any), so this reads the rollups' primary key, not the project's 10s buckets.
    sql<{ projectId: string; eventType: string; n: string }[]>`
      select project_id as "projectId", event_type as "eventType", sum(value)::text as n
      from rollups
      where tenant_id = ${q.tenantId} and project_id = any(${sql.array(q.projectIds)}::uuid[])
        and event_type = any(${sql.array([...new Set(types.map((t) => t.eventType))])}::text[])
        and metric = 'count' and interval = '1h' and bucket_start >= ${new Date(q.countFromMs)}
      group by project_id, event_type`,
    sql<{ projectId: string; eventType: string; name: string; completeFrom: Date }[]>`
      select project_id as "projectId", event_type as "eventType", dimension as name, complete_from as "completeFrom"
      from event_dimensions
      where tenant_id = ${q.tenantId} and project_id = any(${sql.array(q.projectIds)}::uuid[]) ${oneType}
      order by project_id, event_type, dimension`,
  ]);
  const dimsOf = new Map<string, CatalogTypeRow['dimensions']>();
  for (const d of dims) {
    const k = `${d.projectId}\u0000${d.eventType}`;
    (dimsOf.get(k) ?? dimsOf.set(k, []).get(k)!).push({ name: d.name, completeFrom: d.completeFrom });
  }
  const key = (projectId: string, eventType: string) => `${projectId}\u0000${eventType}`;
  const countOf = new Map(counts.map((c) => [key(c.projectId, c.eventType), Number(c.n)]));
  const propsOf = new Map<string, CatalogTypeRow['properties']>();
  for (const p of props) {
    const k = key(p.projectId, p.eventType);
    const list = propsOf.get(k) ?? [];
    list.push({
      name: p.name,
      observed: p.observed,
      declared: p.declared,
      firstSeen: p.firstSeen,
      lastSeen: p.lastSeen,
    });
    propsOf.set(k, list);
  }
  return types.map((t) => ({
    ...t,
    count24h: countOf.get(key(t.projectId, t.eventType)) ?? 0,
    dimensions: dimsOf.get(key(t.projectId, t.eventType)) ?? [],
    properties: propsOf.get(key(t.projectId, t.eventType)) ?? [],
  }));
}

export interface ViolationRow {
  projectId: string;
  eventType: string;
  reason: ViolationReason;
  count: number;
  firstSeen: Date;
  lastSeen: Date;
  samples: ViolationSample[];
}

export async function readViolations(sql: Sql, tenantId: string, projectIds: string[]): Promise<ViolationRow[]> {
  if (projectIds.length === 0) return [];
  const rows = await sql<(Omit<ViolationRow, 'count'> & { count: string })[]>`
    select project_id as "projectId", event_type as "eventType", reason, count::text as count,
           first_seen as "firstSeen", last_seen as "lastSeen", samples
    from catalog_violations
    where tenant_id = ${tenantId} and project_id = any(${sql.array(projectIds)}::uuid[])
    order by last_seen desc, event_type, reason`;
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}

export interface Declaration {
  tenantId: string;
  projectId: string;
  eventType: string;
  /** undefined keeps the current description; null clears it. */
  description?: string | null;
  status?: TypeStatus;
  /** A type declares the property; null removes its declaration (the property stays, as observed). */
  properties: Record<string, DeclaredType | null>;
  /** The declared dimensions (replacing the list), K for new ones, and ingest's future skew (setDimensions). */
  dimensions?: { names: string[]; maxValues: number; maxFutureSkewMs: number };
}

export type DeclareResult = Ok<{ created: boolean }> | Rejected<CatalogCap>;

/** What a declaration sets of an event type: the audit log's before and after of catalog.update. */
export interface DeclaredState {
  declared: boolean;
  description: string | null;
  status: TypeStatus;
  /** The declared type of each property that has one, by name. */
  properties: Record<string, string>;
  dimensions: string[];
}

async function declaredState(tx: Sql, d: Declaration): Promise<DeclaredState | null> {
  const [t] = await tx<{ declared: boolean; description: string | null; status: TypeStatus }[]>`
    select declared, description, status from event_types
    where tenant_id = ${d.tenantId} and project_id = ${d.projectId} and event_type = ${d.eventType}`;
  if (!t) return null;
  const props = await tx<{ property: string; type: string }[]>`
    select property, declared_type as type from event_properties
    where tenant_id = ${d.tenantId} and project_id = ${d.projectId} and event_type = ${d.eventType}
      and declared_type is not null order by property`;
  const dims = await tx<{ dimension: string }[]>`
    select dimension from event_dimensions
    where tenant_id = ${d.tenantId} and project_id = ${d.projectId} and event_type = ${d.eventType} order by dimension`;
  return {
    ...t,
    properties: Object.fromEntries(props.map((p) => [p.property, p.type])),
    dimensions: dims.map((x) => x.dimension),
  };
}

/**
 * Declares (creates or updates) an event type and its property types; refuses what would pass the caps. `audit`,
 * given the type's declared state before (null: the type was unknown) and after, is appended in the same transaction
 * (not when the caps refuse).
 */
export async function declareEventType(
  sql: Sql,
  d: Declaration,
  limits: CatalogLimits,
  audit?: (before: DeclaredState | null, after: DeclaredState) => AuditEntry | undefined,
): Promise<DeclareResult> {
  return sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    // Declarations of one project take turns (flushes only need the row's key share, so they are not blocked).
    await tx`select 1 from projects where tenant_id = ${d.tenantId} and id = ${d.projectId} for no key update`;
    const [counted] = await tx<{ n: number; exists: boolean }[]>`
      select count(*)::int as n, coalesce(bool_or(event_type = ${d.eventType}), false) as exists
      from event_types where tenant_id = ${d.tenantId} and project_id = ${d.projectId}`;
    const exists = counted?.exists ?? false;
    const declaring = Object.entries(d.properties).filter((e): e is [string, DeclaredType] => e[1] !== null);
    const clearing = Object.entries(d.properties)
      .filter(([, t]) => t === null)
      .map(([n]) => n);
    const existing = exists
      ? new Set(
          (
            await tx<{ property: string }[]>`
          select property from event_properties where tenant_id = ${d.tenantId} and project_id = ${d.projectId} and event_type = ${d.eventType}`
          ).map((r) => r.property),
        )
      : new Set<string>();
    const adding = declaring.filter(([n]) => !existing.has(n)).length;
    const cap = declarationCap({ types: counted?.n ?? 0, exists, properties: existing.size, adding }, limits);
    if (cap.kind !== 'ok') return cap;
    const before = audit ? await declaredState(tx, d) : null;
    const keepDescription = d.description === undefined;
    await tx`
      insert into event_types as t (tenant_id, project_id, event_type, description, status, declared)
      values (${d.tenantId}, ${d.projectId}, ${d.eventType}, ${d.description ?? null}, ${d.status ?? 'active'}, true)
      on conflict (tenant_id, project_id, event_type) do update set
        declared = true,
        description = case when ${keepDescription}::boolean then t.description else excluded.description end,
        status = coalesce(${d.status ?? null}::text, t.status),
        changed_at = now()`;
    if (declaring.length > 0) {
      const rows = declaring.map(([n, type]) => ({ n, d: type }));
      await tx`
        insert into event_properties as e (tenant_id, project_id, event_type, property, declared_type)
        select ${d.tenantId}::uuid, ${d.projectId}::uuid, ${d.eventType}, x.n, x.d
        from jsonb_to_recordset(${tx.json(rows)}) as x(n text, d text)
        order by x.n collate "C"
        on conflict (tenant_id, project_id, event_type, property) do update
          set declared_type = excluded.declared_type,
              changed_at = case when e.declared_type is distinct from excluded.declared_type then now() else e.changed_at end`;
    }
    if (clearing.length > 0) {
      await tx`
        update event_properties set declared_type = null, changed_at = now()
        where tenant_id = ${d.tenantId} and project_id = ${d.projectId} and event_type = ${d.eventType}
          and property = any(${tx.array(clearing)}::text[]) and declared_type is not null`;
    }
    if (d.dimensions) {
      const { names, maxValues, maxFutureSkewMs } = d.dimensions;
      await setDimensions(
        tx,
        { tenantId: d.tenantId, projectId: d.projectId, eventType: d.eventType, dimensions: names, maxValues },
        maxFutureSkewMs,
      );
    }
    if (audit) {
      const entry = audit(before, (await declaredState(tx, d))!);
      if (entry) await appendAudit(tx, entry);
    }
    return ok({ created: !exists });
  });
}

/** The catalog's tables (Adapters.catalogStore); the functions above with the process's client. */
export const createCatalogStore = (sql: Sql) =>
  bindSql(sql, { loadCatalog, writeCatalog, readCatalog, readViolations, declareEventType });
export type CatalogTables = ReturnType<typeof createCatalogStore>;
