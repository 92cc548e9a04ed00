// What `customersignal replay` needs from Kafka: the offsets of a time or offset range of a topic, and reading
// exactly that range once, partition by partition, in offset order.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { toConsumedRecord, type ConsumedRecord } from './consumer-group';

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
    return offsets
      .map((p) => ({ partition: p.partition, low: Number(p.low), high: Number(p.high) }))
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

/** A place in a topic: a record time (ms since the epoch) or the same offset on every partition. */
export type Position = { time: number } | { offset: number };

export interface OffsetRange {
  partition: number;
  /** First offset to read. */
  start: number;
  /** Offset at which reading stops (not read). */
  end: number;
}

/** A record as consumer groups hand it over. */
export type RangeRecord = ConsumedRecord;

/** Per partition, the offsets of a position, clamped to what the log holds. */
async function offsetsAt(
  kafka: Kafka,
  topic: string,
  at: Position,
  bounds: { partition: number; low: number; high: number }[],
): Promise<Map<number, number>> {
  const clamp = (p: { low: number; high: number }, o: number) => Math.min(p.high, Math.max(p.low, o));
  if ('offset' in at) return new Map(bounds.map((b) => [b.partition, clamp(b, at.offset)]));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const found = await admin.fetchTopicOffsetsByTimestamp(topic, at.time);
    // -1: no record at or after that time; the range ends at the log's end.
    return new Map(
      bounds.map((b) => {
        const o = Number(found.find((f) => f.partition === b.partition)?.offset ?? -1);
        return [b.partition, o < 0 ? b.high : clamp(b, o)];
      }),
    );
  } finally {
    await admin.disconnect();
  }
}

/** The offset range of each partition from `from` up to `to` (default: the end of each partition now). */
export async function resolveRange(kafka: Kafka, topic: string, from: Position, to?: Position): Promise<OffsetRange[]> {
  const bounds = await partitionRanges(kafka, topic);
  const starts = await offsetsAt(kafka, topic, from, bounds);
  const ends = to ? await offsetsAt(kafka, topic, to, bounds) : new Map(bounds.map((b) => [b.partition, b.high]));
  return bounds.map((b) => ({ partition: b.partition, start: starts.get(b.partition)!, end: ends.get(b.partition)! }));
}

export interface RangeReadOptions {
  /** Most records handed to `onRecords` at once (default 500). */
  batchSize?: number;
  /** Give up when no record arrives for this long (default 30 s). */
  idleTimeoutMs?: number;
}

/**
 * Reads the records of `ranges` of `topic`, each partition from its start up to (not including) its end, handing
 * them in chunks of one partition in offset order to `onRecords` (awaited; a throw ends the read). Empty ranges
 * are not read. Joins a throwaway consumer group with a random name, never commits, deletes it afterwards.
 */
export async function readRange(
  kafka: Kafka,
  topic: string,
  ranges: OffsetRange[],
  onRecords: (records: RangeRecord[]) => Promise<void>,
  opts: RangeReadOptions = {},
): Promise<void> {
  const batchSize = opts.batchSize ?? 500;
  const idleMs = opts.idleTimeoutMs ?? 30_000;
  const todo = new Map(ranges.filter((r) => r.end > r.start).map((r) => [r.partition, r]));
  if (todo.size === 0) return;

  const groupId = `customersignal-read-${topic}-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      let idle: NodeJS.Timeout;
      let finished = false;
      const fail = (e: unknown) => {
        if (finished) return;
        finished = true;
        clearTimeout(idle);
        reject(e);
      };
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(() => fail(new Error(`no records arrived from ${topic} for ${idleMs} ms`)), idleMs);
      };
      armIdle();
      consumer.on(consumer.events.CRASH, (e) => {
        if (!e.payload.restart) fail(e.payload.error);
      });
      // Seeks on every join, the first one included, and only there: kafkajs emits GROUP_JOIN once the member has
      // its assignment and before its first fetch, and each (re)start of the consumer (after a crash it restarts
      // on its own) builds a new group member that has forgotten earlier seeks and pauses. Not after run()
      // resolves: run() also resolves when the first join failed and a restart is pending, when there is no group
      // member to seek on ("Consumer group was not initialized, consumer#run must be called first").
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        for (const r of todo.values()) consumer.seek({ topic, partition: r.partition, offset: String(r.start) });
        // Partitions with nothing (left) to read stay paused, so they are not fetched from their beginning.
        const done = (payload.memberAssignment[topic] ?? []).filter((p) => !todo.has(p));
        if (done.length > 0) consumer.pause([{ topic, partitions: done }]);
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch, heartbeat }) => {
            const range = todo.get(batch.partition);
            if (range === undefined || finished) return;
            armIdle();
            const records: RangeRecord[] = batch.messages
              .filter((m) => Number(m.offset) >= range.start && Number(m.offset) < range.end)
              .map((m) => toConsumedRecord(batch, m));
            try {
              for (let i = 0; i < records.length; i += batchSize) {
                await onRecords(records.slice(i, i + batchSize));
                await heartbeat();
              }
            } catch (e) {
              fail(e);
              return;
            }
            // Progress from the next position, so the next fetch starts after this batch.
            const last = batch.messages.length > 0 ? Number(batch.lastOffset()) : -1;
            if (last >= range.start) range.start = last + 1;
            if (last + 1 >= range.end) {
              todo.delete(batch.partition);
              consumer.pause([{ topic, partitions: [batch.partition] }]);
              if (todo.size === 0 && !finished) {
                finished = true;
                clearTimeout(idle);
                resolve();
              }
            }
          },
        })
        .catch(fail);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    // The broker may still count the member that just left: a few tries before giving up quietly.
    const admin = kafka.admin();
    try {
      await admin.connect();
      for (let attempt = 1; attempt <= 5; attempt++) {
        try {
          await admin.deleteGroups([groupId]);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
    } catch {
      // Unreachable broker: an empty group without offsets expires on its own.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
