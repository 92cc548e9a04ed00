// API keys: stored as hashes; looked up by prefix, compared in constant time by the caller.
import { randomUUID } from 'node:crypto';
import { bindSql, type Sql } from './client';
import { generateApiKey, type Scope } from '../../core/api-keys';
import { auditedChange, auditedCreate, type Audited } from './audit-log-store';
import type { AuditEntry } from '../../core/audit-log';

export interface StoredKey {
  id: string;
  tenantId: string;
  keyHash: Buffer;
  scopes: Scope[];
  projectId: string | null;
  projectSlug: string | null;
  revokedAt: Date | null;
}

export interface KeyListing {
  id: string;
  prefix: string;
  scopes: Scope[];
  projectSlug: string | null;
  name: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  scopes: Scope[];
}

export async function createApiKey(
  sql: Sql,
  tenantId: string,
  scopes: Scope[],
  projectId: string | null,
  name?: string,
  audit?: (created: CreatedKey) => AuditEntry | undefined,
): Promise<CreatedKey> {
  const generated = generateApiKey();
  const id = randomUUID();
  return auditedCreate(
    sql,
    async (tx) => {
      await tx`
        insert into api_keys (tenant_id, id, prefix, key_hash, scopes, project_id, name)
        values (${tenantId}, ${id}, ${generated.prefix}, ${generated.hash}, ${tx.array(scopes)}, ${projectId}, ${name ?? null})`;
      return { id, key: generated.key, prefix: generated.prefix, scopes };
    },
    audit,
  );
}

export async function findKeysByPrefix(sql: Sql, prefix: string): Promise<StoredKey[]> {
  return sql<StoredKey[]>`
    select k.id, k.tenant_id as "tenantId", k.key_hash as "keyHash", k.scopes, k.project_id as "projectId",
           p.slug as "projectSlug", k.revoked_at as "revokedAt"
    from api_keys k left join projects p on p.tenant_id = k.tenant_id and p.id = k.project_id
    where k.prefix = ${prefix}`;
}

export async function listApiKeys(sql: Sql, tenantId: string): Promise<KeyListing[]> {
  return sql<KeyListing[]>`
    select k.id, k.prefix, k.scopes, p.slug as "projectSlug", k.name, k.created_at as "createdAt",
           k.last_used_at as "lastUsedAt", k.revoked_at as "revokedAt"
    from api_keys k left join projects p on p.tenant_id = k.tenant_id and p.id = k.project_id
    where k.tenant_id = ${tenantId} order by k.created_at`;
}

/**
 * Revokes a key of the given tenant; false when no such key (or it belongs to another tenant). `audit` gets the key
 * as it was (locked; undefined when there is none): never its hash.
 */
export async function revokeApiKey(
  sql: Sql,
  tenantId: string,
  id: string,
  audit?: Audited<KeyListing | undefined, boolean>,
): Promise<boolean> {
  return auditedChange(
    sql,
    async (tx) => {
      const [k] = await tx<KeyListing[]>`
        select k.id, k.prefix, k.scopes, p.slug as "projectSlug", k.name, k.created_at as "createdAt",
               k.last_used_at as "lastUsedAt", k.revoked_at as "revokedAt"
        from api_keys k left join projects p on p.tenant_id = k.tenant_id and p.id = k.project_id
        where k.tenant_id = ${tenantId} and k.id = ${id} for update of k`;
      return k;
    },
    async (tx) => {
      const rows = await tx`
        update api_keys set revoked_at = coalesce(revoked_at, now())
        where tenant_id = ${tenantId} and id = ${id} returning id`;
      return rows.length > 0;
    },
    audit,
  );
}

/** Records use, at most once per key per call; callers batch and throttle. */
export async function touchApiKeys(sql: Sql, ids: { tenantId: string; id: string }[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`
    update api_keys k set last_used_at = now()
    from jsonb_to_recordset(${sql.json(ids)}) as u("tenantId" uuid, id uuid)
    where k.tenant_id = u."tenantId" and k.id = u.id`;
}

/** Operator revocation by id (admin CLI); returns the tenant of the key, or undefined when unknown. */
export async function revokeApiKeyById(sql: Sql, id: string): Promise<string | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const [row] = await sql<{ tenantId: string }[]>`
    update api_keys set revoked_at = coalesce(revoked_at, now()) where id = ${id} returning tenant_id as "tenantId"`;
  return row?.tenantId;
}

/** API keys (Adapters.apiKeys); the functions above with the process's client. */
export const createApiKeysStore = (sql: Sql) =>
  bindSql(sql, { createApiKey, listApiKeys, revokeApiKey, revokeApiKeyById });
export type ApiKeysStore = ReturnType<typeof createApiKeysStore>;
