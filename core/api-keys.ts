// API keys: generation, hashing (only the hash is stored), credentials from headers, scope checks. Pure.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { badRequest, forbidden, unauthorized } from './errors';
import type { Role } from './accounts';

export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

const KEY_PREFIX = 'cs_';
const PREFIX_LENGTH = KEY_PREFIX.length + 8;

export interface GeneratedKey {
  key: string;
  prefix: string;
  hash: Buffer;
}

export function generateApiKey(): GeneratedKey {
  const key = KEY_PREFIX + randomBytes(24).toString('base64url');
  return { key, prefix: keyPrefix(key), hash: hashApiKey(key) };
}

export function keyPrefix(key: string): string {
  return key.slice(0, PREFIX_LENGTH);
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function looksLikeApiKey(key: string): boolean {
  return (
    key.startsWith(KEY_PREFIX) && key.length >= PREFIX_LENGTH + 8 && key.length <= 128 && /^[A-Za-z0-9_-]+$/.test(key)
  );
}

/** Constant-time comparison of a presented key's hash with a stored hash. */
export function hashesEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function parseScopes(raw: string): Scope[] {
  const parts = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = parts.find((p) => !(SCOPES as readonly string[]).includes(p));
  if (bad !== undefined || parts.length === 0) {
    throw new Error(
      `scope must be one or more of ${SCOPES.join(', ')} separated by commas${bad ? `; got "${bad}"` : ''}`,
    );
  }
  return [...new Set(parts)] as Scope[];
}

/** Headers are lower-cased (API Gateway v2 does so). Returns the presented key, or throws 400/401. */
export function credentialsFromHeaders(headers: Record<string, string | undefined>): string {
  const auth = headers['authorization']?.trim();
  const apiKey = headers['x-api-key']?.trim();
  let bearer: string | undefined;
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth);
    if (!m) throw unauthorized('The Authorization header must be "Bearer <key>".');
    bearer = m[1];
  }
  if (bearer && apiKey && bearer !== apiKey) {
    throw badRequest('ambiguous_credentials', 'Both Authorization and X-Api-Key carry different keys; send only one.');
  }
  const key = bearer ?? apiKey;
  if (!key) throw unauthorized();
  return key;
}

/**
 * The caller as established by its key, or by a session cookie (then `userId` and `role` are set and `keyId` is
 * `user:<id>`): the tenant comes from the credential and nothing else.
 */
export interface Principal {
  tenantId: string;
  keyId: string;
  userId?: string;
  role?: Role;
  scopes: Scope[];
  /** Set when the key is bound to one project. */
  projectId: string | null;
  projectSlug: string | null;
}

export function requireScope(p: Principal, scope: Exclude<Scope, 'admin'> | 'admin'): void {
  if (p.scopes.includes('admin') || p.scopes.includes(scope)) return;
  throw forbidden(`This key lacks the "${scope}" scope; create a key with --scope ${scope}.`);
}
