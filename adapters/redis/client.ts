// The one ioredis client of the process.
import Redis from 'ioredis';

/** ElastiCache user (RBAC) credentials; TLS comes from a rediss:// URL. */
export interface RedisAuth {
  username?: string;
  password?: string;
}

export function createRedis(url: string, auth: RedisAuth = {}): Redis {
  return new Redis(url, {
    ...(auth.username !== undefined && { username: auth.username }),
    ...(auth.password !== undefined && { password: auth.password }),
    // Fail commands fast while Redis is down instead of queueing them without bound.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 5_000,
    lazyConnect: false,
  });
}

export type { Redis };
