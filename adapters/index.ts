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
import type { Kafka } from 'kafkajs';
import type { TopicSpec } from './kafka/topics';
// The stores of configuration, ingest, aggregation and upkeep (see their block in Adapters).
import { createCatalogStore, type CatalogTables } from './postgres/catalog-store';
import { createTenantsStore, type TenantsStore } from './postgres/tenants-store';
import { createTenantZoneStore, type TenantZoneStore } from './postgres/tenant-settings-store';
import { createApiKeysStore, type ApiKeysStore } from './postgres/api-keys-store';
import { createDashboardsStore, type DashboardsStore } from './postgres/dashboards-store';
import { createAggregateStore, type AggregateStore } from './postgres/aggregate-store';
import { createDeadLetterStore, type DeadLetterStore } from './postgres/dead-letters';
import { createRebuildStore, type RebuildStore } from './postgres/rebuild-store';
import { createRetentionStore, type RetentionStore } from './postgres/retention';
import { createErasureStore } from './postgres/erasure-store';
import { createAuditLog } from './postgres/audit-log-store';
import type { ErasureStore } from '../core/erasure';
import type { AuditLog, AuditReader } from '../core/audit-log';
import { createHealthProbes, type HealthProbes } from './health';
import { createAccountsStore, type AccountsStore } from './postgres/accounts-store';
import { createLoginThrottle } from './login-throttle';
import type { LoginThrottle } from '../core/accounts';
import { createPlatformMailSender } from './notifiers';
import type { MailSender } from './mail-sender';
import { createSsoStore, type SsoStore } from './postgres/sso-store';
import { createSsoTransactions } from './redis/sso-transactions';
import { createSecretBox } from './oidc/secret-box';
import { createOidcClient } from './oidc/client';
import type { OidcClient, SsoTransactions } from '../core/sso';
// Metric reads, alerts and notifications (see their block in Adapters).
import type { MetricReader } from '../core/metric-query';
import type { AlertWindows } from '../core/alert-evaluation';
import { createMetricReader } from './metric-reader';
import { createBreakdownReader } from './breakdown-reader';
import type { BreakdownReader } from '../core/breakdown';
import { createStatusReader, type StatusReader } from './status-reader';
import { createEventsExplorer, type EventsExplorer } from './postgres/events-explorer';
import { createPeopleReads, type PeopleReads } from './postgres/people-reads';
import { createEventExportStore } from './postgres/event-export-store';
import type { EventExportStore } from '../core/event-export';
import { createAlertRulesStore, type AlertRulesStore } from './postgres/alert-rules-store';
import { createAlertStore, type AlertStore } from './postgres/alert-store';
import { createAlertWindows } from './postgres/alert-windows';
import { createNotificationOutbox, type NotificationOutbox } from './postgres/notifications-store';
import { createFunnelReader } from './postgres/funnel-reads';
import type { FunnelReader } from '../core/funnel-query';

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

  // ── Stores of configuration, ingest, aggregation and upkeep: reads and writes behind named objects ──
  /** The catalog's tables: the registry's loads and flushes, the catalog reads, declarations. */
  catalogStore: CatalogTables;
  /** Tenants and projects, uncached (ingest resolves slugs through `projects`). */
  tenants: TenantsStore;
  /** Each tenant's time zone for 1h/1d buckets, and the zone change with its re-bucketing (docs/api.md#time-zones). */
  tenantZones: TenantZoneStore;
  apiKeys: ApiKeysStore;
  dashboards: DashboardsStore;
  /** The aggregate step's exactly-once write and read-back (docs/architecture.md#rule-2-at-least-once-in-exactly-once-effect). */
  aggregateStore: AggregateStore;
  /** Attempts of records that fail on their own, and which were dead-lettered (docs/architecture.md#rule-3-offsets-move-only-after-the-effect). */
  deadLetters: DeadLetterStore;
  rebuildStore: RebuildStore;
  /** Dropping and deleting what is past retention (maintenance). */
  dataRetention: RetentionStore;
  /** GET /readyz's round trips. */
  health: HealthProbes;
  /** Erasure jobs and the export of a person (docs/architecture.md#erasure). */
  erasures: ErasureStore;
  /** The append-only audit log, and its pages (GET /v1/audit-log). */
  auditLog: AuditLog & AuditReader;
  /** Users, memberships and sessions (docs/api.md#accounts). */
  accounts: AccountsStore;
  /** Failed sign-ins per account and address, in Redis (docs/security.md#throttling). */
  loginThrottle: LoginThrottle;
  /** Password-reset requests per account and address, counted like failed sign-ins but apart from them. */
  forgotThrottle: LoginThrottle;
  /** Requests to re-send the e-mail verification link, per account and address, counted apart too. */
  verifyThrottle: LoginThrottle;
  /** Invite, password-reset and e-mail verification e-mails, through the platform's mailer (SES SMTP in AWS, the sink locally). */
  accountMail: MailSender;
  /** Single sign-on: tenants' OIDC configurations (secrets sealed), sign-in transactions, the OIDC client. */
  sso: SsoStore;
  ssoTransactions: SsoTransactions;
  oidc: OidcClient;
  // ── end of the configuration, ingest, aggregation and upkeep stores ──

  // ── Metric reads, alerts and notifications: what the query, alert and dispatch functions call instead of the
  // raw clients (docs/architecture.md#metrics-engine, #alert-engine) ──
  /** GET /v1/metrics: Redis first, Postgres on a miss, refilled through the version guard; raw events for filters. */
  metrics: MetricReader;
  /** Breakdowns of GET /v1/metrics: dimension rollups or raw events (docs/api.md#breakdowns). */
  breakdowns: BreakdownReader;
  /** A tenant's processed-through time and recent event count (GET /v1/status, data_as_of). */
  status: StatusReader;
  /** GET /v1/events pages. */
  explorer: EventsExplorer;
  people: PeopleReads;
  /** GET /v1/events/export: the snapshot cutoff, keyset pages and the cursor key (docs/architecture.md#event-export). */
  exports: EventExportStore;
  /** Alert rules: CRUD, and the rules a notice or the tick wakes. */
  alertRules: AlertRulesStore;
  /** Alert states, history and outbox: the API's reads and the evaluation's transaction. */
  alertStore: AlertStore;
  /** The windows rules compare and the event arrivals the preview replays. */
  alertWindows: AlertWindows;
  /** The notification outbox as the dispatcher claims and records it. */
  notifications: NotificationOutbox;
  /** POST /v1/funnels/query and the funnel persons: raw events streamed per person (docs/architecture.md#funnels). */
  funnels: FunnelReader;
  // ── end of metric reads, alerts and notifications ──

  now: () => number;
  close(): Promise<void>;
}

export function createAdapters(config: Config, now: () => number = Date.now): Adapters {
  const sql = createSql(config.database);
  const redis = createRedis(config.redis.url, config.redis);
  const kafka = createKafka(config.kafka);
  const log = createProducer(kafka, {
    sendTimeoutMs: config.kafka.sendTimeoutMs,
    maxQueuedMessages: config.kafka.maxQueuedEvents,
  });
  const kafkaCluster = createKafkaCluster(kafka);
  const keys = createKeyResolver(sql, config.apiKeyCacheTtlMs, now);
  const catalogStore = createCatalogStore(sql);
  const catalog = createCatalogRegistry(
    { load: catalogStore.loadCatalog, write: catalogStore.writeCatalog },
    { cacheTtlMs: config.catalog.cacheTtlMs, flushIntervalMs: config.catalog.flushIntervalMs, now },
  );
  const rollupCache = createRollupCache(redis);
  const accountMail = createPlatformMailSender(config);

  // ── Metric reads, alerts and notifications ──
  const { maxFutureSkewMs, retentionMs } = config.limits;
  const readsAndAlerts = {
    metrics: createMetricReader(sql, rollupCache),
    breakdowns: createBreakdownReader(sql, { maxRawRows: config.breakdowns.maxRawRows }, rollupCache),
    status: createStatusReader(sql, rollupCache),
    people: createPeopleReads(sql),
    explorer: createEventsExplorer(sql, { maxFutureSkewMs, retentionMs, scanBudgetMs: config.explorerScanBudgetMs }),
    exports: createEventExportStore(sql),
    alertRules: createAlertRulesStore(sql),
    alertStore: createAlertStore(sql),
    alertWindows: createAlertWindows(sql),
    notifications: createNotificationOutbox(sql),
    funnels: createFunnelReader(sql),
  };
  // ── end of metric reads, alerts and notifications ──

  return {
    config,
    sql,
    redis,
    kafka,
    log,
    kafkaCluster,
    rollupCache,
    freshness: createFreshnessStore(redis, config.kafka.groups.aggregate, config.kafka.topics.eventsRaw),
    keys,
    projects: createProjectResolver(sql, 10_000, now),
    retention: createTenantRetention(sql, config.limits.retentionMs, 30_000, now),
    partitions: createPartitionManager(sql),
    rateLimiter: createRateLimiter(redis, config.rateLimit, now),
    catalog,
    catalogStore,
    tenants: createTenantsStore(sql),
    tenantZones: createTenantZoneStore(sql, now),
    apiKeys: createApiKeysStore(sql),
    dashboards: createDashboardsStore(sql),
    aggregateStore: createAggregateStore(sql),
    deadLetters: createDeadLetterStore(sql),
    rebuildStore: createRebuildStore(sql),
    dataRetention: createRetentionStore(sql),
    health: createHealthProbes(sql, redis, kafkaCluster),
    erasures: createErasureStore(sql),
    auditLog: createAuditLog(sql),
    accounts: createAccountsStore(sql),
    loginThrottle: createLoginThrottle(redis, config.accounts.throttle, now),
    forgotThrottle: createLoginThrottle(
      redis,
      { ...config.accounts.throttle, keyPrefix: `${config.accounts.throttle.keyPrefix}:forgot` },
      now,
    ),
    verifyThrottle: createLoginThrottle(
      redis,
      { ...config.accounts.throttle, keyPrefix: `${config.accounts.throttle.keyPrefix}:verify` },
      now,
    ),
    accountMail,
    sso: createSsoStore(sql, config.sso.secretKey === undefined ? undefined : createSecretBox(config.sso.secretKey)),
    ssoTransactions: createSsoTransactions(redis),
    oidc: createOidcClient({ policy: config.webhooks, now }),
    ...readsAndAlerts,
    now,
    async close() {
      await keys.flush();
      await catalog.flush();
      await log.disconnect();
      accountMail.close();
      redis.disconnect();
      await sql.end({ timeout: 5 });
    },
  };
}

/** The topics the platform needs, with retention covering the raw-event retention (replay reach). */
export function topicSpecs(config: Config): TopicSpec[] {
  const day = 86_400_000;
  return [
    {
      topic: config.kafka.topics.eventsRaw,
      numPartitions: config.kafka.eventsRawPartitions,
      retentionMs: config.limits.retentionMs + day,
    },
    { topic: config.kafka.topics.eventsDlq, numPartitions: 1, retentionMs: config.limits.retentionMs + day },
    { topic: config.kafka.topics.metricUpdates, numPartitions: config.kafka.eventsRawPartitions, retentionMs: day },
  ];
}
