// The SSO sign-in transactions (core/sso.ts SsoTransactions): kept in Redis under the hash of their state with a TTL,
// and taken with GETDEL, so a state works once (a replayed callback finds nothing) and expires by itself.
import type { Redis } from './client';
import type { SsoTransaction, SsoTransactions } from '../../core/sso';

export function createSsoTransactions(redis: Redis, keyPrefix = 'sso-tx'): SsoTransactions {
  const key = (stateHash: string) => `${keyPrefix}:${stateHash}`;
  return {
    async put(stateHash, tx, ttlMs) {
      await redis.set(key(stateHash), JSON.stringify(tx), 'PX', ttlMs);
    },
    async take(stateHash) {
      const raw = await redis.getdel(key(stateHash));
      if (raw === null) return undefined;
      const v = JSON.parse(raw) as SsoTransaction;
      return typeof v.tenantId === 'string' && typeof v.codeVerifier === 'string' ? v : undefined;
    },
  };
}
