// A consumer group that hands ordered chunks of one partition to a callback and commits only after it succeeded.
import type { Batch, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { createKafka, type KafkaOptions } from './client';
import { logger, withLogContext } from '../logger';
import { doublingDelayMs } from '../../core/backoff';

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
  /** Backoff of a failing chunk: from `minRetryDelayMs` (200 ms), doubling, at most `maxRetryDelayMs` (30 s). */
  minRetryDelayMs?: number;
  maxRetryDelayMs?: number;
  sessionTimeoutMs?: number;
}

export interface RunningConsumerGroup {
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HEARTBEAT_MS = 3_000;

/** Group-membership errors: the partition is no longer this member's (a rebalance, or the session ran out). */
const MEMBERSHIP_LOST = new Set([
  'REBALANCE_IN_PROGRESS',
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'NOT_COORDINATOR_FOR_GROUP', // kafkajs rejoins, which also finds the new coordinator
]);
const lostMembership = (e: unknown): boolean => {
  for (let x = e as { type?: unknown; cause?: unknown } | undefined; x; x = x.cause as typeof x)
    if (typeof x.type === 'string' && MEMBERSHIP_LOST.has(x.type)) return true;
  return false;
};

/**
 * Starts the group with its own client (`kafka`: the connection settings, e.g. `config.kafka`).
 *
 * kafkajs restarts its consumer after retriable errors only. After any other crash — e.g. an offset commit refused
 * with "the coordinator is not aware of this member" once a chunk's retries outlived the session timeout — the
 * consumer stays stopped while the process runs on; here a new consumer takes its place, after 1 s doubling to 30 s.
 * Nothing is lost or counted twice by that: offsets are committed only after a chunk's effect, and the effect is
 * idempotent (docs/architecture.md#rule-3-offsets-move-only-after-the-effect).
 */
export async function startConsumerGroup(
  kafka: KafkaOptions,
  opts: ConsumerGroupOptions,
): Promise<RunningConsumerGroup> {
  let stopping = false;
  let current: Consumer | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let restarts = 0;

  const eachBatch = async (
    consumer: Consumer,
    { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload,
  ) => {
    const live = () => !stopping && current === consumer && isRunning() && !isStale();
    // Waits `ms` between attempts, heartbeating meanwhile: a backoff longer than the session timeout must not cost
    // the member its partitions. kafkajs sends a heartbeat only when one is due (HEARTBEAT_MS after the last
    // answer), so asking every second gives one every 3–4 s. False when the partition is no longer this member's.
    const wait = async (ms: number): Promise<boolean> => {
      const until = Date.now() + ms;
      for (;;) {
        try {
          await heartbeat();
        } catch (e) {
          if (lostMembership(e)) return false; // kafkajs rejoins; the next owner reads the chunk again
          // Other failures (the broker down) leave the membership to the session timeout: keep retrying.
        }
        if (!live()) return false;
        const left = until - Date.now();
        if (left <= 0) return true;
        await sleep(Math.min(left, 1_000));
      }
    };
    for (let i = 0; i < batch.messages.length && live(); i += opts.batchSize) {
      const chunk = batch.messages.slice(i, i + opts.batchSize).map((m) => toConsumedRecord(batch, m));
      // Retried with backoff for as long as it takes: the partition waits, nothing is skipped.
      for (let attempt = 0; ; attempt++) {
        try {
          await opts.onBatch(chunk);
          break;
        } catch (error) {
          const delay = doublingDelayMs(attempt, opts.minRetryDelayMs ?? 200, opts.maxRetryDelayMs ?? 30_000);
          logger.warn('batch failed; retrying', {
            groupId: opts.groupId,
            topic: batch.topic,
            partition: batch.partition,
            firstOffset: chunk[0]!.offset,
            attempt,
            delayMs: delay,
            error: error as Error,
          });
          if (!(await wait(delay))) return;
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

  const launch = async (): Promise<void> => {
    if (stopping) return;
    const consumer: Consumer = createKafka(kafka).consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: HEARTBEAT_MS,
      maxWaitTimeInMs: 100,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 5_000 },
    });
    current = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => (restarts = 0));
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      // kafkajs has disconnected the consumer already; it starts it again itself when payload.restart is true, on a
      // timer it sets right after this event, which a stop() in between could not have cleared: clear it now.
      if (payload.restart) {
        if (stopping) queueMicrotask(() => void consumer.disconnect().catch(() => undefined));
        return;
      }
      if (stopping || current !== consumer) return;
      scheduleRestart(payload.error);
    });
    // Each step may wait long (the broker down: the client retries for as long as it takes); a stop() meanwhile
    // ends the launch at the next step, with this consumer disconnected.
    const stopped = async () => {
      if (!stopping) return false;
      await consumer.disconnect().catch(() => undefined);
      return true;
    };
    await consumer.connect();
    if (await stopped()) return;
    for (const topic of opts.topics) await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true });
    if (await stopped()) return;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: opts.partitionsConcurrently ?? 3,
      // Each batch logs in its own context, never in that of a request or another batch running meanwhile.
      eachBatch: (payload) => {
        const { topic, partition } = payload.batch;
        return withLogContext({ consumer_group: opts.groupId, topic, partition }, () => eachBatch(consumer, payload));
      },
    });
    await stopped();
  };

  function scheduleRestart(error: Error): void {
    if (restartTimer) clearTimeout(restartTimer);
    const delayMs = doublingDelayMs(restarts++, 1_000, 30_000);
    logger.error('consumer stopped after an error kafkajs does not restart after; starting a new one', {
      groupId: opts.groupId,
      delayMs,
      error,
    });
    const stale = current;
    current = undefined;
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      void (async () => {
        await stale?.disconnect().catch(() => undefined);
        try {
          await launch();
        } catch (e) {
          if (!stopping) scheduleRestart(e as Error);
        }
      })();
    }, delayMs);
    // Not unref'd: while it waits, this timer may be all that keeps an aggregate-only process alive.
  }

  await launch();
  return {
    async stop() {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      // A restart's launch still connecting (the broker down: its client retries for as long as it takes) is not
      // waited for: it disconnects its consumer itself at its next step, before joining the group.
      await current?.disconnect();
    },
  };
}
