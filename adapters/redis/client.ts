// The one ioredis client of the process.
import Redis from 'ioredis';
import { logger } from '../logger';

/** ElastiCache user (RBAC) credentials; TLS comes from a rediss:// URL. */
export interface RedisAuth {
  username?: string;
  password?: string;
}

export function createRedis(url: string, auth: RedisAuth = {}): Redis {
  const redis = new Redis(url, {
    ...(auth.username !== undefined && { username: auth.username }),
    ...(auth.password !== undefined && { password: auth.password }),
    // Fail commands fast while Redis is down instead of queueing them without bound.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 5_000,
    lazyConnect: false,
  });
  // Without a listener ioredis prints "Unhandled error event" to stderr on every reconnect attempt while Redis is
  // down. One warning per outage; commands still fail (and are retried by their callers) as before.
  let down = false;
  redis.on('error', (e: Error) => {
    if (down) return;
    down = true;
    logger.warn('redis unreachable; reconnecting', { error: e.message });
  });
  redis.on('ready', () => {
    down = false;
  });
  return redis;
}

export type { Redis };
