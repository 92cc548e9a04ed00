// Resolves a presented API key to its principal, with a short cache so the hot path skips Postgres.
import type { Sql } from './postgres/client';
import { findKeysByPrefix, touchApiKeys } from './postgres/api-keys-store';
import { hashApiKey, hashesEqual, keyPrefix, looksLikeApiKey, type Principal } from '../core/api-keys';
import { logger } from './logger';

export interface KeyResolver {
  /** The principal of a valid, unrevoked key; null otherwise. */
  resolve(key: string): Promise<Principal | null>;
  /** Writes pending last-used times. */
  flush(): Promise<void>;
}

const MAX_CACHED = 10_000;
const TOUCH_EVERY_MS = 60_000;

export function createKeyResolver(sql: Sql, ttlMs: number, now: () => number = Date.now): KeyResolver {
  // Cached by the key's hash, never by the key itself.
  const cache = new Map<string, { principal: Principal | null; expires: number }>();
  const lastTouched = new Map<string, number>();
  let pendingTouches = new Map<string, { tenantId: string; id: string }>();

  async function lookup(key: string, hash: Buffer): Promise<Principal | null> {
    const candidates = await findKeysByPrefix(sql, keyPrefix(key));
    const match = candidates.find((c) => hashesEqual(c.keyHash, hash));
    if (!match || match.revokedAt) return null;
    return {
      tenantId: match.tenantId,
      keyId: match.id,
      scopes: match.scopes,
      projectId: match.projectId,
      projectSlug: match.projectSlug,
    };
  }

  function noteUse(p: Principal) {
    const t = now();
    if ((lastTouched.get(p.keyId) ?? 0) + TOUCH_EVERY_MS > t) return;
    lastTouched.set(p.keyId, t);
    pendingTouches.set(p.keyId, { tenantId: p.tenantId, id: p.keyId });
  }

  return {
    async resolve(key) {
      if (!looksLikeApiKey(key)) return null;
      const hash = hashApiKey(key);
      const cacheKey = hash.toString('base64');
      const hit = cache.get(cacheKey);
      let principal: Principal | null;
      if (hit && hit.expires > now()) principal = hit.principal;
      else {
        principal = await lookup(key, hash);
        if (cache.size >= MAX_CACHED) cache.clear();
        cache.set(cacheKey, { principal, expires: now() + ttlMs });
      }
      if (principal) noteUse(principal);
      return principal;
    },
    async flush() {
      if (pendingTouches.size === 0) return;
      const batch = [...pendingTouches.values()];
      pendingTouches = new Map();
      await touchApiKeys(sql, batch).catch((e: unknown) =>
        logger.warn('could not record key use', { error: e as Error }),
      );
    },
  };
}
