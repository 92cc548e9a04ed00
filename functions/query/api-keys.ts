// GET|POST /v1/api-keys, DELETE /v1/api-keys/{id} (admin). Keys are shown once, at creation.
import { z } from 'zod';
import { SCOPES, requireScope, type Principal } from '../../core/api-keys';
import { badRequest, notFound } from '../../core/errors';
import type { Adapters } from '../../adapters';
import { parseBody } from '../http/body-schema';
import { isUuid } from '../../core/ids';
import { requestEntry } from '../../core/audit-log';

export const createApiKeySchema = z.strictObject({
  scopes: z.array(z.enum(SCOPES)).min(1, 'give at least one of ingest, read, admin'),
  project: z.string().min(1).max(64).optional(),
  name: z.string().trim().min(1).max(200).optional(),
});

export async function getApiKeys(deps: Adapters, principal: Principal) {
  requireScope(principal, 'admin');
  const keys = await deps.apiKeys.listApiKeys(principal.tenantId);
  const visible = principal.projectSlug ? keys.filter((k) => k.projectSlug === principal.projectSlug) : keys;
  return {
    api_keys: visible.map((k) => ({
      id: k.id,
      prefix: k.prefix,
      scopes: k.scopes,
      project: k.projectSlug,
      name: k.name,
      created_at: k.createdAt.toISOString(),
      last_used_at: k.lastUsedAt?.toISOString() ?? null,
      revoked_at: k.revokedAt?.toISOString() ?? null,
    })),
  };
}

export async function postApiKey(deps: Adapters, principal: Principal, body: unknown) {
  requireScope(principal, 'admin');
  const input = parseBody(createApiKeySchema, body);
  // A project-bound admin key can only create keys bound to its own project.
  const projectSlug = principal.projectSlug ?? input.project ?? null;
  if (principal.projectSlug && input.project && input.project !== principal.projectSlug) {
    throw badRequest(
      'invalid_body',
      `project: this key is bound to "${principal.projectSlug}"; new keys are bound to it too.`,
    );
  }
  let projectId: string | null = null;
  if (projectSlug !== null) {
    const project = await deps.projects.bySlug(principal.tenantId, projectSlug);
    if (!project) throw notFound(`Project "${projectSlug}" does not exist.`);
    projectId = project.id;
  }
  const scopes = [...new Set(input.scopes)];
  // The log names the key (id, name, scopes, project), never its secret or hash.
  const created = await deps.apiKeys.createApiKey(principal.tenantId, scopes, projectId, input.name, (k) =>
    requestEntry(principal, deps.now(), 'api_key.create', k.id, null, {
      id: k.id,
      name: input.name ?? null,
      scopes,
      project: projectSlug,
    }),
  );
  return { id: created.id, key: created.key, prefix: created.prefix, scopes, project: projectSlug };
}

export async function deleteApiKey(deps: Adapters, principal: Principal, id: string) {
  requireScope(principal, 'admin');
  if (!isUuid(id)) throw notFound(`API key ${id} does not exist.`);
  if (principal.projectSlug) {
    const own = (await deps.apiKeys.listApiKeys(principal.tenantId)).find((k) => k.id === id);
    if (!own || own.projectSlug !== principal.projectSlug) throw notFound(`API key ${id} does not exist.`);
  }
  const revoked = await deps.apiKeys.revokeApiKey(principal.tenantId, id, (before) => {
    // Revoking a revoked key again changes nothing: no entry.
    if (!before || before.revokedAt !== null) return undefined;
    const key = { id: before.id, name: before.name, scopes: before.scopes, project: before.projectSlug };
    return requestEntry(
      principal,
      deps.now(),
      'api_key.revoke',
      before.id,
      { ...key, revoked: false },
      {
        ...key,
        revoked: true,
      },
    );
  });
  if (!revoked) throw notFound(`API key ${id} does not exist.`);
  return { id, revoked: true };
}
