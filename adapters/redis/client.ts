// The one ioredis client of the process.
import Redis from 'ioredis';

export function createRedis(url: string): Redis {
  return new Redis(url, {
    // Fail commands fast while Redis is down instead of queueing them without bound.
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 5_000,
    lazyConnect: false,
  });
}

export type { Redis };
