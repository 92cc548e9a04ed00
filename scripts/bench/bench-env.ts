// A benchmark's world on the run's broker: its own migrated database, its topics (made with retries), the cleanup of
// all of it (also on Ctrl-C), and the environment of the runtime child processes it starts (benchEnv).
import type { Kafka } from 'kafkajs';
import { createTestEnv, type TestEnv } from '../../test/harness';
import { deleteTopics, ensureTopics, type TopicSpec } from '../../adapters/kafka/topics';
import { topicSpecs } from '../../adapters';
import { dropDatabase } from '../../adapters/postgres/client';
import type { BenchContext, RunningKafka } from './context';

/** events_raw's default partition count (KAFKA_EVENTS_RAW_PARTITIONS), as every benchmark runs it. */
export const PARTITIONS = 6;

/**
 * Kafka 4.4 can answer the metadata request that follows a CreateTopics with "This server does not host this
 * topic-partition" for a moment, which kafkajs's createTopics({waitForLeaders}) does not retry. At most 6
 * tries, ~20 s.
 */
export async function ensureTopicsWithRetry(kafka: Kafka, specs: TopicSpec[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureTopics(kafka, specs);
      return;
    } catch (e) {
      if (attempt >= 6) throw e;
      await new Promise((r) => setTimeout(r, 700 * attempt));
    }
  }
}

/**
 * A database (`cs_test_<name>_<id>`, migrated), the run's topics (events_raw with PARTITIONS partitions) and
 * `extraTopics` on the run's broker. At the end: the topics and the aggregate group are deleted, `cleanup` runs
 * (e.g. Redis keys the harness does not know of), then the harness's cleanup (tenants' keys, the database).
 */
export async function createBenchEnv(
  ctx: BenchContext,
  kafka: RunningKafka,
  name: string,
  o: { extraTopics?: TopicSpec[]; cleanup?: () => Promise<void> } = {},
): Promise<TestEnv> {
  const extra = o.extraTopics ?? [];
  const env = await createTestEnv(
    name,
    { KAFKA_BROKERS: kafka.brokers, KAFKA_EVENTS_RAW_PARTITIONS: String(PARTITIONS) },
    // Made below rather than by the harness, to retry the fresh broker's transient metadata errors.
    { topics: false },
  );
  ctx.defer(`database cs_test_${env.runId}, its topics, group and tenants`, async () => {
    await deleteTopics(env.adapters.kafka, [
      ...Object.values(env.config.kafka.topics),
      ...extra.map((t) => t.topic),
    ]).catch(() => undefined);
    const admin = env.adapters.kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([env.config.kafka.groups.aggregate]))
      .catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    if (o.cleanup) await o.cleanup();
    await cleanupEnv(env);
  });
  await ensureTopicsWithRetry(env.adapters.kafka, [...topicSpecs(env.config), ...extra]);
  return env;
}

/** PUT /v1/catalog/<eventType> of the tenant's project through a running runtime at `url`; throws unless 200/201. */
export async function putCatalog(
  url: string,
  tenant: { keys: { admin: string }; project: { slug: string } },
  eventType: string,
  declaration: Record<string, unknown>,
): Promise<void> {
  const res = await fetch(`${url}/v1/catalog/${eventType}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.keys.admin}` },
    body: JSON.stringify({ project: tenant.project.slug, ...declaration }),
  });
  const answer = await res.text();
  if (res.status !== 200 && res.status !== 201)
    throw new Error(`PUT /v1/catalog/${eventType} answered ${res.status}: ${answer.slice(0, 300)}`);
}

/** The harness's cleanup (tenants' Redis keys, the database); the database is dropped even when the rest fails. */
export async function cleanupEnv(env: TestEnv): Promise<void> {
  try {
    await env.cleanup();
  } catch (e) {
    await dropDatabase(env.config.database.url);
    throw e;
  }
}

/**
 * The environment of a runtime child process (aggregate-server.ts, ingest-server.ts): the bench world's database,
 * topics and aggregate group on the run's broker, port 0, and the per-tenant rate limit raised so that it never
 * refuses (we measure capacity; its Redis call stays in the path). `extra` adds or overrides variables.
 */
export function benchEnv(
  env: TestEnv,
  kafka: RunningKafka,
  extra: Record<string, string> = {},
): Record<string, string> {
  const { topics, groups } = env.config.kafka;
  return {
    DATABASE_URL: env.config.database.url,
    KAFKA_BROKERS: kafka.brokers,
    KAFKA_TOPIC_EVENTS_RAW: topics.eventsRaw,
    KAFKA_TOPIC_EVENTS_DLQ: topics.eventsDlq,
    KAFKA_TOPIC_METRIC_UPDATES: topics.metricUpdates,
    KAFKA_GROUP_AGGREGATE: groups.aggregate,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'WARN',
    RATE_LIMIT_EVENTS_PER_SECOND: '10000000',
    RATE_LIMIT_BURST: '100000000',
    ...extra,
  };
}
