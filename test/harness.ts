// An isolated world per test file: its own database, topics, consumer group and tenants; all removed afterwards.
import { randomBytes } from 'node:crypto';
import { parseConfig, type Config } from '../adapters/config';
import { createAdapters, topicSpecs, type Adapters } from '../adapters';
import { ensureDatabase, dropDatabase } from '../adapters/postgres/client';
import { migrate } from '../adapters/postgres/migrate';
import { freshnessKey } from '../adapters/redis/freshness-store';
import { ensureTopics, deleteTopics } from '../adapters/kafka/topics';
import { createProject, createTenant } from '../adapters/postgres/tenants-store';
import { createApiKey } from '../adapters/postgres/api-keys-store';
import type { Scope } from '../core/api-keys';

export interface TestTenant {
  id: string;
  slug: string;
  project: { id: string; slug: string };
  keys: Record<'ingest' | 'read' | 'admin', string>;
}

export interface TestEnv {
  runId: string;
  config: Config;
  adapters: Adapters;
  createTenant(): Promise<TestTenant>;
  createKey(tenant: TestTenant, scopes: Scope[], projectId?: string | null): Promise<string>;
  /** Another project of the tenant; returns its id. */
  createProject(tenant: TestTenant, slug: string, schemaMode?: 'open' | 'strict'): Promise<string>;
  cleanup(): Promise<void>;
}

export function testConfig(runId: string, overrides: Record<string, string> = {}): Config {
  const base = new URL(parseConfig(process.env).database.url);
  base.pathname = `/cs_test_${runId}`;
  return parseConfig({
    ...process.env,
    DATABASE_URL: base.toString(),
    DATABASE_POOL_SIZE: '5',
    KAFKA_TOPIC_EVENTS_RAW: `events_raw_${runId}`,
    KAFKA_TOPIC_EVENTS_DLQ: `events_dlq_${runId}`,
    KAFKA_TOPIC_METRIC_UPDATES: `metric_updates_${runId}`,
    KAFKA_EVENTS_RAW_PARTITIONS: '3',
    KAFKA_GROUP_AGGREGATE: `aggregate_${runId}`,
    KAFKA_GROUP_ALERT: `alert_${runId}`,
    PORT: '0',
    SCHEDULER_TICK: '60s',
    ...overrides,
  });
}

export async function createTestEnv(
  name: string,
  overrides: Record<string, string> = {},
  opts: { topics?: boolean } = {},
): Promise<TestEnv> {
  const runId = `${name
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const config = testConfig(runId, overrides);
  await ensureDatabase(config.database.url);
  const adapters = createAdapters(config);
  await migrate(adapters.sql);
  if (opts.topics !== false) await ensureTopics(adapters.kafka, topicSpecs(config));
  const tenants: string[] = [];

  async function createKey(tenant: { id: string }, scopes: Scope[], projectId: string | null = null): Promise<string> {
    return (await createApiKey(adapters.sql, tenant.id, scopes, projectId)).key;
  }

  return {
    runId,
    config,
    adapters,
    createKey,
    async createProject(tenant, slug, schemaMode = 'open') {
      return (await createProject(adapters.sql, tenant.id, slug, slug, schemaMode)).id;
    },
    async createTenant() {
      const slug = `t-${randomBytes(5).toString('hex')}`;
      const tenant = await createTenant(adapters.sql, slug, slug);
      tenants.push(tenant.id);
      const project = await createProject(adapters.sql, tenant.id, 'web', 'Web', 'open');
      const keys = {
        ingest: await createKey(tenant, ['ingest']),
        read: await createKey(tenant, ['read']),
        admin: await createKey(tenant, ['admin']),
      };
      return { id: tenant.id, slug, project: { id: project.id, slug: project.slug }, keys };
    },
    async cleanup() {
      for (const tenantId of tenants) {
        const keys = await adapters.redis.keys(`{${tenantId}}:*`);
        if (keys.length > 0) await adapters.redis.del(...keys);
      }
      await adapters.redis.del(freshnessKey(config.kafka.groups.aggregate, config.kafka.topics.eventsRaw));
      if (opts.topics !== false) {
        await deleteTopics(adapters.kafka, Object.values(config.kafka.topics)).catch(() => undefined);
        const admin = adapters.kafka.admin();
        await admin
          .connect()
          .then(() => admin.deleteGroups([config.kafka.groups.aggregate, config.kafka.groups.alert]))
          .catch(() => undefined);
        await admin.disconnect().catch(() => undefined);
      }
      await adapters.close();
      await dropDatabase(config.database.url);
    },
  };
}

/** Polls until `check` returns a value (not undefined) or the time runs out. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `condition not met within ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
