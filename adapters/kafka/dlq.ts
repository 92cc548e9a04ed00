// What the admin CLI's `dlq` commands need from Kafka: read a topic from its start up to where it ends now,
// and produce records learning the offset each one got.
import { KAFKA_MAX_PRODUCE_BYTES } from './limits';
import { Partitioners, type Kafka, type PartitionMetadata } from 'kafkajs';
import { partitionRanges, readRange } from './range-reader';

export interface TopicRecord {
  partition: number;
  offset: number;
  timestampMs: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export { partitionRanges, UnknownTopicError, type PartitionRange } from './range-reader';

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
 * offset order per partition, handing them to `onRecords` (awaited: the read waits for the caller), through
 * the range reader (a throwaway consumer group: nothing of the real consumer groups is touched).
 */
export async function readFromStart(
  kafka: Kafka,
  topic: string,
  onRecords: (records: TopicRecord[]) => Promise<void>,
  opts: ReadOptions = {},
): Promise<void> {
  const limit = opts.maxPerPartition ?? Number.POSITIVE_INFINITY;
  const ranges = (await partitionRanges(kafka, topic)).map((r) => ({
    partition: r.partition,
    start: r.low,
    end: Math.min(r.high, r.low + limit),
  }));
  await readRange(
    kafka,
    topic,
    ranges,
    (records) =>
      onRecords(
        records.map((m) => ({
          partition: m.partition,
          offset: Number(m.offset),
          timestampMs: Number(m.timestamp),
          key: m.key,
          value: m.value,
          headers: headersOf(m.headers),
        })),
      ),
    { idleTimeoutMs: opts.idleTimeoutMs },
  );
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
  let partitionMetadata: PartitionMetadata[];
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    partitionMetadata = meta.topics[0]!.partitions;
  } finally {
    await admin.disconnect();
  }
  const partitioner = Partitioners.DefaultPartitioner();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  async function sendOne(records: ProducedRecord[]): Promise<{ partition: number; offset: number }[]> {
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
      if (offset === undefined)
        throw new Error(`Kafka did not report an offset for partition ${m.partition} of ${topic}`);
      return { partition: m.partition, offset: offset + i };
    });
  }
  return {
    async send(records) {
      // In sends of at most KAFKA_MAX_PRODUCE_BYTES (dead letters can be large events): each partition's
      // records of one send form one batch with consecutive offsets.
      const out: { partition: number; offset: number }[] = [];
      let group: ProducedRecord[] = [];
      let bytes = 0;
      const flush = async () => {
        if (group.length > 0) out.push(...(await sendOne(group)));
        group = [];
        bytes = 0;
      };
      for (const r of records) {
        const b =
          (r.key?.length ?? 0) +
          (r.value?.length ?? 0) +
          Object.entries(r.headers).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v) + 10, 0) +
          40;
        if (group.length > 0 && bytes + b > KAFKA_MAX_PRODUCE_BYTES - 4_096) await flush();
        group.push(r);
        bytes += b;
      }
      await flush();
      return out;
    },
    close: () => producer.disconnect(),
  };
}
