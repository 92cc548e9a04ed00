// What the admin CLI's `dlq` commands need from Kafka: read a topic from its start up to where it ends now,
// and produce records learning the offset each one got.
import { randomUUID } from 'node:crypto';
import { Partitioners, type Kafka } from 'kafkajs';

export interface TopicRecord {
  partition: number;
  offset: number;
  timestampMs: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface PartitionRange {
  partition: number;
  /** First offset still in the log (retention moves it). */
  low: number;
  /** Offset the next record will get. */
  high: number;
}

export class UnknownTopicError extends Error {
  override name = 'UnknownTopicError';
}

export async function partitionRanges(kafka: Kafka, topic: string): Promise<PartitionRange[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    // Asked first: for a missing topic kafkajs would retry its metadata request for seconds, then blame the connection.
    if (!(await admin.listTopics()).includes(topic)) throw new UnknownTopicError(`topic ${topic} does not exist`);
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.map((p) => ({ partition: p.partition, low: Number(p.low), high: Number(p.high) })).sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

function headersOf(raw: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined && first !== null) out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

export interface ReadOptions {
  /** Stop reading a partition after this many records (its first ones). */
  maxPerPartition?: number;
  /** Give up when no record arrives for this long (the broker answers, but nothing comes). */
  idleTimeoutMs?: number;
}

/**
 * Reads every record of `topic` from the start of each partition up to its end at the time of the call, in
 * offset order per partition, handing them to `onRecords` (awaited: the read waits for the caller).
 *
 * kafkajs has no group-less consumer, so this joins a throwaway consumer group with a random name, never
 * commits, and deletes the group afterwards: nothing of the real consumer groups is touched.
 */
export async function readFromStart(
  kafka: Kafka,
  topic: string,
  onRecords: (records: TopicRecord[]) => Promise<void>,
  opts: ReadOptions = {},
): Promise<void> {
  const ranges = await partitionRanges(kafka, topic);
  const limit = opts.maxPerPartition ?? Number.POSITIVE_INFINITY;
  // Per partition: the offset at which reading it is done.
  const stopAt = new Map<number, number>();
  for (const r of ranges) if (r.high > r.low && limit > 0) stopAt.set(r.partition, Math.min(r.high, r.low + limit));
  if (stopAt.size === 0) return;

  const groupId = `customersignal-cli-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let idle: NodeJS.Timeout;
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(() => reject(new Error(`no records arrived from ${topic} for ${opts.idleTimeoutMs ?? 30_000} ms`)), opts.idleTimeoutMs ?? 30_000);
      };
      armIdle();
      // kafkajs restarts itself after retriable crashes (a rebalance, a coordinator moving); only the others end the read.
      consumer.on(consumer.events.CRASH, (e) => {
        if (e.payload.restart) return;
        clearTimeout(idle);
        reject(e.payload.error);
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch, heartbeat }) => {
            const end = stopAt.get(batch.partition);
            if (end === undefined) return;
            armIdle();
            const records = batch.messages
              .filter((m) => Number(m.offset) < end)
              .map((m) => ({
                partition: batch.partition,
                offset: Number(m.offset),
                timestampMs: Number(m.timestamp),
                key: m.key,
                value: m.value,
                headers: headersOf(m.headers as Record<string, unknown>),
              }));
            if (records.length > 0) await onRecords(records);
            await heartbeat();
            const last = batch.messages.length > 0 ? Number(batch.lastOffset()) : -1;
            if (last + 1 >= end) {
              stopAt.delete(batch.partition);
              consumer.pause([{ topic, partitions: [batch.partition] }]);
              if (stopAt.size === 0) {
                clearTimeout(idle);
                resolve();
              }
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteGroups([groupId]))
      .catch(() => undefined)
      .finally(() => admin.disconnect().catch(() => undefined));
  }
}

export interface ProducedRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface OffsetProducer {
  /**
   * Produces `records` (acks=all, idempotent) with the default partitioner's choice — by key, as ingest does —
   * and returns the partition and offset each one got, aligned with the input. The partitions are chosen here,
   * so each partition's records of one call form one batch with consecutive offsets.
   */
  send(records: ProducedRecord[]): Promise<{ partition: number; offset: number }[]>;
  close(): Promise<void>;
}

export async function openOffsetProducer(kafka: Kafka, topic: string): Promise<OffsetProducer> {
  const admin = kafka.admin();
  await admin.connect();
  let partitionMetadata;
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    partitionMetadata = meta.topics[0]!.partitions;
  } finally {
    await admin.disconnect();
  }
  const partitioner = Partitioners.DefaultPartitioner();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    async send(records) {
      if (records.length === 0) return [];
      const messages = records.map((r) => {
        const message = { key: r.key, value: r.value, headers: r.headers };
        return { ...message, partition: partitioner({ topic, partitionMetadata, message }) };
      });
      const metadata = await producer.send({ topic, acks: -1, messages });
      const base = new Map(metadata.map((m) => [m.partition, Number(m.baseOffset)]));
      const next = new Map<number, number>();
      return messages.map((m) => {
        const i = next.get(m.partition) ?? 0;
        next.set(m.partition, i + 1);
        const offset = base.get(m.partition);
        if (offset === undefined) throw new Error(`Kafka did not report an offset for partition ${m.partition} of ${topic}`);
        return { partition: m.partition, offset: offset + i };
      });
    },
    close: () => producer.disconnect(),
  };
}
