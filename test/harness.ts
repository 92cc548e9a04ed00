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
import { startLocalRuntime, type LocalRuntime, type RuntimeOptions } from '../local/runtime';

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
  /** Deletes these tenants' Redis keys: cleanup() does it for createTenant's; a file for those made otherwise (CLI). */
  deleteTenantKeys(tenantIds: string[]): Promise<void>;
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

/**
 * `topics`: true (the default) creates the run's topics and removes them and its consumer groups in cleanup(); false
 * does neither (a test without a broker); 'remove' leaves creating them to the code under test and removes them.
 */
export type TopicsMode = boolean | 'remove';

export async function createTestEnv(
  name: string,
  overrides: Record<string, string> = {},
  opts: { topics?: TopicsMode } = {},
): Promise<TestEnv> {
  const runId = `${name
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase()
    .slice(0, 20)}_${randomBytes(4).toString('hex')}`;
  const config = testConfig(runId, overrides);
  await ensureDatabase(config.database.url);
  const adapters = createAdapters(config);
  await migrate(adapters.sql);
  if ((opts.topics ?? true) === true) await ensureTopics(adapters.kafka, topicSpecs(config));
  const tenants: string[] = [];

  async function createKey(tenant: { id: string }, scopes: Scope[], projectId: string | null = null): Promise<string> {
    return (await createApiKey(adapters.sql, tenant.id, scopes, projectId)).key;
  }

  async function deleteTenantKeys(tenantIds: string[]): Promise<void> {
    // SCAN and UNLINK in chunks: an erasure or a rebuild can leave hundreds of thousands of keys, more arguments than
    // one DEL call (or the JS stack) takes.
    for (const tenantId of tenantIds) {
      let cursor = '0';
      do {
        const [next, keys] = await adapters.redis.scan(cursor, 'MATCH', `{${tenantId}}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await adapters.redis.unlink(...keys);
      } while (cursor !== '0');
    }
  }

  return {
    runId,
    config,
    adapters,
    createKey,
    deleteTenantKeys,
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
      await deleteTenantKeys(tenants);
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

export interface TestEnvOptions<N extends number = number> {
  /** Configuration overrides; a function when they come from something the file starts first (a broker, a port). */
  overrides?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** The run's Kafka topics and consumer groups (TopicsMode); default true. */
  topics?: TopicsMode;
  /** How many tenants to create (default none): the first is `tenant`, all of them `tenants`. */
  tenants?: N;
  /** Start the local runtime on port 0; web and scheduler stay off unless these options turn them on. */
  runtime?: true | RuntimeOptions;
  /** The adapters the runtime runs on when not env.adapters (a test clock, a proxied log); made after the tenants. */
  adapters?: (env: TestEnv) => Adapters | Promise<Adapters>;
  /** Runs after the runtime stops and before the env is removed; only when the env was made. */
  beforeCleanup?: (env: TestEnv) => Promise<void>;
}

/** N tenants as a tuple, so that `tenants: [a, b]` destructures without undefined. */
type Tenants<N extends number, T extends TestTenant[] = []> = number extends N
  ? TestTenant[]
  : T['length'] extends N
    ? T
    : Tenants<N, [...T, TestTenant]>;

export interface TestWorld<N extends number> {
  env: TestEnv;
  tenant: TestTenant;
  tenants: Tenants<N>;
  runtime: LocalRuntime;
}

/**
 * The per-file test world: registers a beforeAll that makes the env, the tenants and the runtime (in that order), and
 * an afterAll that stops the runtime, runs `beforeCleanup` and removes the env. The returned values stand in for
 * what beforeAll makes, so they can be destructured at the top of the file and used in tests and later hooks.
 * Hooks the file declares before this call run before it (start a broker whose address goes in `overrides`); hooks
 * declared after it run after it: jest runs hooks of one block in the order they are declared.
 */
export function useTestEnv<N extends number = 0>(name: string, opts: TestEnvOptions<N> = {}): TestWorld<N> {
  const env = madeInBeforeAll<TestEnv>('env');
  const runtime = madeInBeforeAll<LocalRuntime>('runtime', opts.runtime ? undefined : 'pass `runtime` to useTestEnv');
  const tenants = Array.from({ length: opts.tenants ?? 0 }, (_, i) => madeInBeforeAll<TestTenant>(`tenants[${i}]`));
  const tenant = tenants[0] ?? madeInBeforeAll<TestTenant>('tenant', 'pass `tenants` to useTestEnv');
  beforeAll(async () => {
    const overrides = typeof opts.overrides === 'function' ? await opts.overrides() : opts.overrides;
    const made = env.set(await createTestEnv(name, overrides, { topics: opts.topics }));
    for (const t of tenants) t.set(await made.createTenant());
    if (opts.runtime) {
      const deps = opts.adapters ? await opts.adapters(made) : made.adapters;
      const options = opts.runtime === true ? {} : opts.runtime;
      runtime.set(await startLocalRuntime(deps, { port: 0, web: false, scheduler: false, ...options }));
    }
  });
  afterAll(async () => {
    await runtime.made?.stop();
    if (!env.made) return;
    await opts.beforeCleanup?.(env.made);
    await env.made.cleanup();
  });
  return { env: env.ref, tenant: tenant.ref, tenants: tenants.map((t) => t.ref) as Tenants<N>, runtime: runtime.ref };
}

/**
 * A stand-in for an object beforeAll makes: every read, write and key listing goes to the object once it is set;
 * before that (or when `missing` says it is never made) it throws with what is missing.
 */
function madeInBeforeAll<T extends object>(what: string, missing?: string) {
  let made: T | undefined;
  const target = (): T => {
    if (made !== undefined) return made;
    throw new Error(`the test world's ${what} ${missing ? `is not made: ${missing}` : 'is used before its beforeAll'}`);
  };
  const ref = new Proxy({} as T, {
    get: (_, key) => Reflect.get(target(), key),
    set: (_, key, value) => Reflect.set(target(), key, value),
    has: (_, key) => Reflect.has(target(), key),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_, key) => {
      const d = Reflect.getOwnPropertyDescriptor(target(), key);
      return d && { ...d, configurable: true };
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(target()),
  });
  return {
    ref,
    get made() {
      return made;
    },
    set(value: T): T {
      made = value;
      return value;
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
