// Creates every adapter of a process once; Lambda handlers and the local runtime share this wiring.
import type { Config } from './config';
import { createSql, type Sql } from './postgres/client';
import { createRedis, type Redis } from './redis/client';
import { createRollupCache, type RollupCache } from './redis/rollup-cache';
import { createFreshnessStore, type FreshnessStore } from './redis/freshness-store';
import { createKafka } from './kafka/client';
import { createProducer, type EventLog } from './kafka/producer';
import { createKafkaCluster, type KafkaCluster } from './kafka/cluster';
import { createKeyResolver, type KeyResolver } from './key-resolver';
import { createProjectResolver, type ProjectResolver } from './project-resolver';
import { createTenantRetention, type TenantRetention } from './tenant-retention';
import { createPartitionManager, type PartitionManager } from './postgres/partitions';
import { createRateLimiter, type RateLimiter } from './redis/rate-limiter';
import { createCatalogRegistry, type CatalogRegistry } from './catalog/registry';
import { loadCatalog, writeCatalog } from './postgres/catalog-store';
import type { Kafka } from 'kafkajs';
import type { TopicSpec } from './kafka/topics';

export interface Adapters {
  config: Config;
  sql: Sql;
  redis: Redis;
  /** The kafkajs client, for wiring and scripts; functions use `log` and `kafkaCluster`. */
  kafka: Kafka;
  log: EventLog;
  /** Readiness and consumer-group positions (GET /readyz, freshness). */
  kafkaCluster: KafkaCluster;
  rollupCache: RollupCache;
  /** caught_up_through of the aggregate group on events_raw (GET /v1/status, data_as_of). */
  freshness: FreshnessStore;
  keys: KeyResolver;
  projects: ProjectResolver;
  /** Each tenant's raw-event retention (RETENTION or shorter). */
  retention: TenantRetention;
  partitions: PartitionManager;
  rateLimiter: RateLimiter;
  /** The event catalog: cached per project for ingest's checks, registrations written in batches. */
  catalog: CatalogRegistry;
  now: () => number;
  close(): Promise<void>;
}

export function createAdapters(config: Config, now: () => number = Date.now): Adapters {
  const sql = createSql(config.database);
  const redis = createRedis(config.redis.url, config.redis);
  const kafka = createKafka(config.kafka);
  const log = createProducer(kafka, { sendTimeoutMs: config.kafka.sendTimeoutMs, maxQueuedMessages: config.kafka.maxQueuedEvents });
  const keys = createKeyResolver(sql, config.apiKeyCacheTtlMs, now);
  const catalog = createCatalogRegistry(
    { load: (tenantId, projectId, since) => loadCatalog(sql, tenantId, projectId, since), write: (w) => writeCatalog(sql, w) },
    { cacheTtlMs: config.catalog.cacheTtlMs, flushIntervalMs: config.catalog.flushIntervalMs, now },
  );
  return {
    config,
    sql,
    redis,
    kafka,
    log,
    kafkaCluster: createKafkaCluster(kafka),
    rollupCache: createRollupCache(redis),
    freshness: createFreshnessStore(redis, config.kafka.groups.aggregate, config.kafka.topics.eventsRaw),
    keys,
    projects: createProjectResolver(sql, 10_000, now),
    retention: createTenantRetention(sql, config.limits.retentionMs, 30_000, now),
    partitions: createPartitionManager(sql),
    rateLimiter: createRateLimiter(redis, config.rateLimit, now),
    catalog,
    now,
    async close() {
      await keys.flush();
      await catalog.flush();
      await log.disconnect();
      redis.disconnect();
      await sql.end({ timeout: 5 });
    },
  };
}

/** The topics the platform needs, with retention covering the raw-event retention (replay reach). */
export function topicSpecs(config: Config): TopicSpec[] {
  const day = 86_400_000;
  return [
    { topic: config.kafka.topics.eventsRaw, numPartitions: config.kafka.eventsRawPartitions, retentionMs: config.limits.retentionMs + day },
    { topic: config.kafka.topics.eventsDlq, numPartitions: 1, retentionMs: config.limits.retentionMs + day },
    { topic: config.kafka.topics.metricUpdates, numPartitions: config.kafka.eventsRawPartitions, retentionMs: day },
  ];
}
