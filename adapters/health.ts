// The readiness probes of GET /readyz: one cheap round trip to each backing service of the process.
import type { KafkaCluster } from './kafka/cluster';
import type { Sql } from './postgres/client';
import type { Redis } from './redis/client';

export interface HealthProbes {
  postgres(): Promise<unknown>;
  redis(): Promise<unknown>;
  /** Lists the topics: proves the brokers answer and this process may read their metadata. */
  kafka(): Promise<unknown>;
}

export function createHealthProbes(sql: Sql, redis: Redis, cluster: KafkaCluster): HealthProbes {
  return {
    postgres: () => sql`select 1`,
    redis: () => redis.ping(),
    kafka: () => cluster.ping(),
  };
}
