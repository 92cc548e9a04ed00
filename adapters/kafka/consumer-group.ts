// A consumer group that hands ordered chunks of one partition to a callback and commits only after it succeeded.
import type { Batch, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { createKafka, type KafkaOptions } from './client';
import { logger, withLogContext } from '../logger';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | string | undefined>;
}

/** A kafkajs batch message as our code sees it. */
export function toConsumedRecord(batch: Pick<Batch, 'topic' | 'partition'>, m: KafkaMessage): ConsumedRecord {
  return {
    topic: batch.topic,
    partition: batch.partition,
    offset: m.offset,
    timestamp: m.timestamp,
    key: m.key,
    value: m.value,
    headers: (m.headers ?? {}) as Record<string, Buffer | string | undefined>,
  };
}

export interface ConsumerGroupOptions {
  groupId: string;
  topics: string[];
  /** Most records handed to the callback at once (the MSK event source's batch size). */
  batchSize: number;
  /** Called with records of one partition in offset order; throwing means "not done": retried, never skipped. */
  onBatch: (records: ConsumedRecord[]) => Promise<void>;
  partitionsConcurrently?: number;
  fromBeginning?: boolean;
  maxRetryDelayMs?: number;
  sessionTimeoutMs?: number;
}

export interface RunningConsumerGroup {
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the group with its own client (`kafka`: the connection settings, e.g. `config.kafka`). */
export async function startConsumerGroup(
  kafka: KafkaOptions,
  opts: ConsumerGroupOptions,
): Promise<RunningConsumerGroup> {
  const consumer: Consumer = createKafka(kafka).consumer({
    groupId: opts.groupId,
    sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 100,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 },
  });
  let stopping = false;
  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
    const live = () => !stopping && isRunning() && !isStale();
    for (let i = 0; i < batch.messages.length && live(); i += opts.batchSize) {
      const chunk = batch.messages.slice(i, i + opts.batchSize).map((m) => toConsumedRecord(batch, m));
      // Retried with backoff for as long as it takes: the partition waits, nothing is skipped.
      for (let attempt = 0; ; attempt++) {
        try {
          await opts.onBatch(chunk);
          break;
        } catch (error) {
          const delay = Math.min(opts.maxRetryDelayMs ?? 30_000, 200 * 2 ** Math.min(attempt, 10));
          logger.warn('batch failed; retrying', {
            groupId: opts.groupId,
            topic: batch.topic,
            partition: batch.partition,
            firstOffset: chunk[0]!.offset,
            attempt,
            delayMs: delay,
            error: error as Error,
          });
          await heartbeat().catch(() => undefined);
          if (!live()) return;
          await sleep(delay);
          if (!live()) return;
        }
      }
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
      ]);
      await heartbeat();
    }
  };
  await consumer.connect();
  for (const topic of opts.topics) await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: opts.partitionsConcurrently ?? 3,
    // Each batch logs in its own context, never in that of a request or another batch running meanwhile.
    eachBatch: (payload) => {
      const { topic, partition } = payload.batch;
      return withLogContext({ consumer_group: opts.groupId, topic, partition }, () => eachBatch(payload));
    },
  });
  return {
    async stop() {
      stopping = true;
      await consumer.disconnect();
    },
  };
}
