// Creates or checks the project's topics.
import { ConfigResourceTypes, type Admin, type Kafka } from 'kafkajs';
import { createKafka, type KafkaOptions } from './client';
import { TOPIC_SIZE_CONFIG } from './limits';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  retentionMs: number;
}

export interface TopicStatus {
  topic: string;
  created: boolean;
  partitions: number;
}

export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<TopicStatus[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await createWithRetry(admin, missing);
    }
    const meta = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
    return specs.map((s) => ({
      topic: s.topic,
      created: missing.includes(s),
      partitions: meta.topics.find((t) => t.name === s.topic)?.partitions.length ?? 0,
    }));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates what is missing, then brings every topic's retention.ms and size limits (limits.ts) to the specs: a topic
 * created before the size limits were set keeps Kafka's 1 MB default otherwise. `kafka`: the connection settings.
 */
export async function ensureTopicsConfigured(kafka: KafkaOptions, specs: TopicSpec[]): Promise<TopicStatus[]> {
  const client = createKafka(kafka);
  const status = await ensureTopics(client, specs);
  const admin = client.admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: specs.map((s) => ({
        type: ConfigResourceTypes.TOPIC,
        name: s.topic,
        configEntries: [{ name: 'retention.ms', value: String(s.retentionMs) }, ...TOPIC_SIZE_CONFIG],
      })),
    });
  } finally {
    await admin.disconnect();
  }
  return status;
}

/**
 * A freshly started broker sometimes answers "This server does not host this topic-partition" while it
 * creates the first topics, and kafkajs does not retry that: try again, creating only what is still missing.
 */
async function createWithRetry(admin: Admin, specs: TopicSpec[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const existing = new Set(await admin.listTopics());
      const todo = specs.filter((s) => !existing.has(s.topic));
      if (todo.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: todo.map((s) => ({
          topic: s.topic,
          numPartitions: s.numPartitions,
          replicationFactor: -1, // broker default: 1 locally, 3 on MSK
          configEntries: [
            { name: 'retention.ms', value: String(s.retentionMs) },
            { name: 'cleanup.policy', value: 'delete' },
            // Explicit, so the topic takes what the producer sends whatever the broker's (or MSK's) default is.
            ...TOPIC_SIZE_CONFIG,
          ],
        })),
      });
      return;
    } catch (e) {
      if (
        attempt >= 5 ||
        !/does not host this topic-partition|LEADER_NOT_AVAILABLE|NOT_CONTROLLER/i.test(
          `${(e as Error).message} ${(e as { type?: string }).type ?? ''}`,
        )
      )
        throw e;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}
