// Tenants and projects.
import { randomUUID } from 'node:crypto';
import { bindSql, isUniqueViolation, type Sql } from './client';
import { auditedChange, auditedCreate, type Audited } from './audit-log-store';
import type { AuditEntry } from '../../core/audit-log';
import { slugProblem } from '../../core/tenants';
import type { SchemaMode } from '../../core/catalog';

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
}

export interface Project {
  tenantId: string;
  id: string;
  slug: string;
  name: string;
  schemaMode: SchemaMode;
  createdAt: Date;
}

/** The store refuses a malformed slug outright (callers check it first, with their own way of saying so). */
function assertSlug(kind: 'tenant' | 'project', slug: string): void {
  const problem = slugProblem(kind, slug);
  if (problem) throw new Error(problem);
}

export class DuplicateError extends Error {
  override name = 'DuplicateError';
}

export async function createTenant(sql: Sql, slug: string, name: string): Promise<Tenant> {
  assertSlug('tenant', slug);
  try {
    const [row] = await sql<Tenant[]>`
      insert into tenants (id, slug, name) values (${randomUUID()}, ${slug}, ${name})
      returning id, slug, name, created_at as "createdAt"`;
    return row!;
  } catch (e) {
    if (isUniqueViolation(e)) throw new DuplicateError(`tenant "${slug}" already exists`, { cause: e });
    throw e;
  }
}

export async function findTenantBySlug(sql: Sql, slug: string): Promise<Tenant | undefined> {
  const [row] = await sql<Tenant[]>`select id, slug, name, created_at as "createdAt" from tenants where slug = ${slug}`;
  return row;
}

export async function listTenants(sql: Sql): Promise<(Tenant & { retentionDays: number | null })[]> {
  return sql<
    (Tenant & { retentionDays: number | null })[]
  >`select id, slug, name, created_at as "createdAt", retention_days as "retentionDays" from tenants order by slug`;
}

/** A tenant's raw-event retention in days; null = the platform's RETENTION. Returns false when no such tenant. */
export async function setTenantRetention(sql: Sql, slug: string, days: number | null): Promise<boolean> {
  const r = await sql`update tenants set retention_days = ${days} where slug = ${slug}`;
  return r.count > 0;
}

export async function createProject(
  sql: Sql,
  tenantId: string,
  slug: string,
  name: string,
  schemaMode: SchemaMode,
  audit?: (created: Project) => AuditEntry | undefined,
): Promise<Project> {
  assertSlug('project', slug);
  try {
    return await auditedCreate(
      sql,
      async (tx) => {
        const [row] = await tx<Project[]>`
          insert into projects (tenant_id, id, slug, name, schema_mode)
          values (${tenantId}, ${randomUUID()}, ${slug}, ${name}, ${schemaMode})
          returning tenant_id as "tenantId", id, slug, name, schema_mode as "schemaMode", created_at as "createdAt"`;
        return row!;
      },
      audit,
    );
  } catch (e) {
    if (isUniqueViolation(e)) throw new DuplicateError(`project "${slug}" already exists in this tenant`, { cause: e });
    throw e;
  }
}

export async function listProjects(sql: Sql, tenantId: string): Promise<Project[]> {
  return sql<Project[]>`
    select tenant_id as "tenantId", id, slug, name, schema_mode as "schemaMode", created_at as "createdAt"
    from projects where tenant_id = ${tenantId} order by slug`;
}

export async function updateProject(
  sql: Sql,
  tenantId: string,
  slug: string,
  changes: { name?: string; schemaMode?: SchemaMode },
  audit?: Audited<Project | undefined, Project | undefined>,
): Promise<Project | undefined> {
  return auditedChange(
    sql,
    async (tx) => {
      const [row] = await tx<Project[]>`
        select tenant_id as "tenantId", id, slug, name, schema_mode as "schemaMode", created_at as "createdAt"
        from projects where tenant_id = ${tenantId} and slug = ${slug} for update`;
      return row;
    },
    async (tx) => {
      const [row] = await tx<Project[]>`
        update projects set
          name = coalesce(${changes.name ?? null}, name),
          schema_mode = coalesce(${changes.schemaMode ?? null}, schema_mode)
        where tenant_id = ${tenantId} and slug = ${slug}
        returning tenant_id as "tenantId", id, slug, name, schema_mode as "schemaMode", created_at as "createdAt"`;
      return row;
    },
    audit,
  );
}

/** Tenants and projects (Adapters.tenants); the functions above with the process's client. */
export const createTenantsStore = (sql: Sql) =>
  bindSql(sql, {
    createTenant,
    findTenantBySlug,
    listTenants,
    setTenantRetention,
    createProject,
    listProjects,
    updateProject,
  });
export type TenantsStore = ReturnType<typeof createTenantsStore>;
