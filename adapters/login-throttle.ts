// Failed sign-ins counted in Redis, per account and per client address, in fixed windows of the injected clock
// (docs/security.md#throttling). The window's index is part of the key, so the clock decides which window counts;
// Redis' own expiry only removes old windows.
import { createHash } from 'node:crypto';
import type { Redis } from './redis/client';
import { throttleWindow, type LoginThrottle } from '../core/accounts';

export interface LoginThrottleOptions {
  perAccount: number;
  perAddress: number;
  windowMs: number;
  keyPrefix: string;
}

export function createLoginThrottle(redis: Redis, opts: LoginThrottleOptions, now: () => number): LoginThrottle {
  // The account by a hash of its address: the e-mail never sits in Redis in clear.
  const accountKey = (email: string, w: number) =>
    `${opts.keyPrefix}:account:${createHash('sha256').update(email, 'utf8').digest('base64url')}:${w}`;
  const addressKey = (address: string, w: number) => `${opts.keyPrefix}:address:${address}:${w}`;
  const keepMs = opts.windowMs * 2;

  async function incr(key: string): Promise<number> {
    const [[e1, n], [e2]] = (await redis.multi().incr(key).pexpire(key, keepMs).exec()) as [
      [Error | null, number],
      [Error | null, unknown],
    ];
    if (e1 || e2) throw e1 ?? e2;
    return n;
  }

  return {
    async attempt(email, address) {
      const { index, remainingMs } = throttleWindow(now(), opts.windowMs);
      // Both counted (separate keys, so a cluster needs no shared slot); a refused attempt still counts.
      const [byAccount, byAddress] = await Promise.all([
        incr(accountKey(email, index)),
        incr(addressKey(address, index)),
      ]);
      if (byAccount > opts.perAccount || byAddress > opts.perAddress) return { retryAfterMs: remainingMs };
      return null;
    },
    async succeeded(email, address) {
      const { index } = throttleWindow(now(), opts.windowMs);
      await Promise.all([redis.del(accountKey(email, index)), redis.decr(addressKey(address, index))]);
    },
  };
}
