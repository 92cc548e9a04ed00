// Operator actions shared by the admin CLI and `npm start`.
import type { Sql } from '../adapters/postgres/client';
import { findTenantBySlug, listProjects, type Tenant } from '../adapters/postgres/tenants-store';
import { createApiKey } from '../adapters/postgres/api-keys-store';
import type { Scope } from '../core/api-keys';

export class CliError extends Error {
  override name = 'CliError';
}

export async function tenantBySlug(sql: Sql, slug: string): Promise<Tenant> {
  const tenant = await findTenantBySlug(sql, slug);
  if (!tenant) throw new CliError(`tenant "${slug}" does not exist; create it with: customersignal tenant create ${slug}`);
  return tenant;
}

export async function createKeyFor(sql: Sql, tenantSlug: string, scopes: Scope[], projectSlug?: string) {
  const tenant = await tenantBySlug(sql, tenantSlug);
  let projectId: string | null = null;
  if (projectSlug !== undefined) {
    const project = (await listProjects(sql, tenant.id)).find((p) => p.slug === projectSlug);
    if (!project) throw new CliError(`project "${projectSlug}" does not exist in tenant "${tenantSlug}"`);
    projectId = project.id;
  }
  const created = await createApiKey(sql, tenant.id, scopes, projectId);
  return { id: created.id, key: created.key, prefix: created.prefix, scopes: created.scopes, tenant: tenant.slug, project: projectSlug ?? null };
}
