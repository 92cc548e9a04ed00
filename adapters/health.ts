// The readiness probes of GET /readyz: one cheap round trip to each backing service of the process.
import type { Kafka } from 'kafkajs';
import type { Sql } from './postgres/client';
import type { Redis } from './redis/client';

export interface HealthProbes {
  postgres(): Promise<unknown>;
  redis(): Promise<unknown>;
  /** Lists the topics: proves the brokers answer and this process may read their metadata. */
  kafka(): Promise<unknown>;
}

export function createHealthProbes(sql: Sql, redis: Redis, kafka: Kafka): HealthProbes {
  return {
    postgres: () => sql`select 1`,
    redis: () => redis.ping(),
    async kafka() {
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.listTopics();
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}
