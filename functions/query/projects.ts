// GET|POST /v1/projects, PATCH /v1/projects/{slug}.
import { z } from 'zod';
import type { Principal } from '../../core/api-keys';
import { requireScope } from '../../core/api-keys';
import { SCHEMA_MODES } from '../../core/catalog';
import { conflict, forbidden, notFound } from '../../core/errors';
import { SLUG_PATTERN, SLUG_RULE } from '../../core/tenants';
import type { Adapters } from '../../adapters';
import { DuplicateError, type Project } from '../../adapters/postgres/tenants-store';
import { parseBody } from '../http/body-schema';
import { requestEntry, type AuditAction, type AuditEntry } from '../../core/audit-log';

const slug = z.string().regex(SLUG_PATTERN, SLUG_RULE);
const name = z.string().trim().min(1).max(200);
const schemaMode = z.enum(SCHEMA_MODES);
export const createProjectSchema = z.strictObject({ slug, name: name.optional(), schema_mode: schemaMode.optional() });
export const updateProjectSchema = z.strictObject({ name: name.optional(), schema_mode: schemaMode.optional() });

export function projectView(p: Project) {
  return { slug: p.slug, name: p.name, schema_mode: p.schemaMode, created_at: p.createdAt.toISOString() };
}

/** A project as the audit log keeps it. */
const auditView = (p: Project) => ({ slug: p.slug, name: p.name, schema_mode: p.schemaMode });

const projectAudit =
  (deps: Adapters, principal: Principal, action: AuditAction) =>
  (before: Project | undefined, after: Project): AuditEntry =>
    requestEntry(principal, deps.now(), action, after.slug, before ? auditView(before) : null, auditView(after));

export async function getProjects(deps: Adapters, principal: Principal) {
  const all = await deps.tenants.listProjects(principal.tenantId);
  const visible = principal.projectId ? all.filter((p) => p.id === principal.projectId) : all;
  return { projects: visible.map(projectView) };
}

export async function postProject(deps: Adapters, principal: Principal, body: unknown) {
  requireScope(principal, 'admin');
  if (principal.projectId) throw forbidden('This key is bound to one project and cannot create projects.');
  const input = parseBody(createProjectSchema, body);
  try {
    const p = await deps.tenants.createProject(
      principal.tenantId,
      input.slug,
      input.name ?? input.slug,
      input.schema_mode ?? 'open',
      (p) => projectAudit(deps, principal, 'project.create')(undefined, p),
    );
    return projectView(p);
  } catch (e) {
    if (e instanceof DuplicateError) throw conflict('conflict', `Project "${input.slug}" already exists.`);
    throw e;
  }
}

export async function patchProject(deps: Adapters, principal: Principal, projectSlug: string, body: unknown) {
  requireScope(principal, 'admin');
  if (principal.projectSlug && principal.projectSlug !== projectSlug)
    throw forbidden(`This key is bound to project "${principal.projectSlug}".`);
  const input = parseBody(updateProjectSchema, body);
  const p = await deps.tenants.updateProject(
    principal.tenantId,
    projectSlug,
    { name: input.name, schemaMode: input.schema_mode },
    // A PATCH that changes nothing records nothing.
    (before, after) =>
      after && before && (before.name !== after.name || before.schemaMode !== after.schemaMode)
        ? projectAudit(deps, principal, 'project.update')(before, after)
        : undefined,
  );
  if (!p) throw notFound(`Project "${projectSlug}" does not exist.`);
  // The schema mode travels with the cached catalog: this process applies it at once, others within CATALOG_CACHE_TTL.
  deps.catalog.invalidate(principal.tenantId, p.id);
  return projectView(p);
}
