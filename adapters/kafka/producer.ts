// A producer that answers within a deadline: acks=all, idempotent, bounded queue, concurrent sends merged into
// sends sized by their encoded bytes (KAFKA_MAX_PRODUCE_BYTES), so one caller's large write never makes another
// caller's write too large for the broker.
import { Partitioners, type Kafka, type Producer, type Message, type PartitionerArgs } from 'kafkajs';
import { KAFKA_MAX_PRODUCE_BYTES } from './limits';

export interface OutMessage {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

/** The log did not confirm the write in time, or the queue is full: the outcome is unknown. */
export class ProducerUnavailableError extends Error {
  override name = 'ProducerUnavailableError';
}

/**
 * One message is larger than the broker takes for its topic (max.message.bytes): retrying cannot help, so
 * this is not "unavailable". Nothing of the caller's write that contains it was acknowledged.
 */
export class RecordTooLargeError extends Error {
  override name = 'RecordTooLargeError';
  constructor(
    readonly topic: string,
    readonly recordBytes: number,
  ) {
    super(`a record of ~${recordBytes} bytes is larger than topic ${topic} accepts (max.message.bytes)`);
  }
}

interface Pending {
  topic: string;
  resolve: () => void;
  reject: (e: Error) => void;
  settled: boolean;
  timer: NodeJS.Timeout;
  /** Slices of this write not yet acknowledged. */
  unacked: number;
}

/** Part of one caller's write that goes out in one send. */
interface Slice {
  pending: Pending;
  messages: OutMessage[];
  bytes: number;
  /** Sends of this slice that failed with an unknown outcome (a closed connection, say). */
  failures: number;
}

export interface ProducerOptions {
  /** How long a caller waits for the broker's acknowledgement. */
  sendTimeoutMs: number;
  /** Messages waiting or in flight beyond which new sends are refused at once. */
  maxQueuedMessages: number;
  /** Most estimated record-batch bytes per send (default KAFKA_MAX_PRODUCE_BYTES). */
  maxSendBytes?: number;
}

export interface EventLog {
  send(topic: string, messages: OutMessage[]): Promise<void>;
  /** Messages waiting or in flight (also those whose callers already gave up). */
  pending(): number;
  /** Broker requests made and messages acknowledged so far (merging makes requests ≪ sends). */
  stats(): { requests: number; acknowledged: number };
  disconnect(): Promise<void>;
}

const SHUTDOWN_WAIT_MS = 20_000;
/** Record-batch header and the produce request's per-topic/partition framing, per send (generous). */
const SEND_OVERHEAD_BYTES = 4_096;

function varintBytes(n: number): number {
  let bytes = 1;
  // zig-zag varint of a non-negative length: 7 bits a byte after doubling
  for (let v = n * 2; v >= 0x80; v = Math.floor(v / 0x80)) bytes++;
  return bytes;
}

/** Upper estimate of one message's bytes in a Kafka v2 record batch (uncompressed). */
export function recordBytes(m: OutMessage): number {
  const key = Buffer.byteLength(m.key);
  const value = Buffer.byteLength(m.value);
  let n = 5 + 1 + 10 + 5 + varintBytes(key) + key + varintBytes(value) + value + 5;
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    const kb = Buffer.byteLength(k);
    const vb = Buffer.byteLength(v);
    n += varintBytes(kb) + kb + varintBytes(vb) + vb;
  }
  return n;
}

/** kafkajs reports the broker's error code as `type` on the error or on one it wraps. */
function brokerErrorType(e: unknown): string | undefined {
  for (let c = e, depth = 0; c && depth < 5; depth++) {
    const o = c as { type?: unknown; cause?: unknown; originalError?: unknown };
    if (typeof o.type === 'string') return o.type;
    c = o.originalError ?? o.cause;
  }
  return undefined;
}

const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);

/**
 * kafkajs's default partitioner (murmur2 of the key, modulo the partition count), its choice remembered per topic,
 * partition count and key: every event of a tenant has the tenant's key, yet kafkajs hashes each message. The same
 * partitions, computed once per key.
 */
export function memoizedDefaultPartitioner(): (args: PartitionerArgs) => number {
  const partition = Partitioners.DefaultPartitioner();
  const memo = new Map<string, number>();
  return (args) => {
    const key = args.message.key;
    if (key === null || key === undefined || args.message.partition !== undefined) return partition(args);
    const k = `${args.topic}\u0000${args.partitionMetadata.length}\u0000${key.toString()}`;
    let p = memo.get(k);
    if (p === undefined) {
      p = partition(args);
      if (memo.size >= 10_000) memo.clear();
      memo.set(k, p);
    }
    return p;
  };
}

export function createProducer(kafka: Kafka, opts: ProducerOptions): EventLog {
  const makeProducer = (): Producer =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: memoizedDefaultPartitioner,
      retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 8 },
    });
  let producer = makeProducer();
  let connecting: Promise<void> | undefined;
  const queue: Slice[] = [];
  let queued = 0;
  let flushing: Promise<void> | undefined;
  let closed = false;
  let requests = 0;
  let acknowledged = 0;
  /** Lowered when the broker refuses a send as too large (a topic with a smaller max.message.bytes). */
  let maxSendBytes = opts.maxSendBytes ?? KAFKA_MAX_PRODUCE_BYTES;

  const connect = () => {
    connecting ??= producer.connect().catch((e: unknown) => {
      connecting = undefined;
      throw e;
    });
    return connecting;
  };

  /** The failed write may still have landed: its sequence numbers must not be reused, so start a new producer id. */
  const replaceProducer = () => {
    const failed = producer;
    producer = makeProducer();
    connecting = undefined;
    void failed.disconnect().catch(() => undefined);
  };

  const settle = (p: Pending, error?: Error) => {
    if (p.settled) return;
    p.settled = true;
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve();
  };

  /** Slices of at most maxSendBytes (a single larger message makes its own slice). */
  function slicesOf(pending: Pending, messages: OutMessage[]): Slice[] {
    const slices: Slice[] = [];
    let current: Slice | undefined;
    for (const m of messages) {
      const b = recordBytes(m);
      if (!current || (current.messages.length > 0 && current.bytes + b > maxSendBytes - SEND_OVERHEAD_BYTES)) {
        current = { pending, messages: [], bytes: 0, failures: 0 };
        slices.push(current);
      }
      current.messages.push(m);
      current.bytes += b;
    }
    return slices;
  }

  const finish = (slice: Slice) => {
    queued -= slice.messages.length;
  };

  function flush(): Promise<void> {
    flushing ??= drain().finally(() => {
      flushing = undefined;
      // A caller resumed by the last settle() may have queued a send after drain's loop ended but before this
      // ran; flush() then returned the finishing drain. Without this, that send waits out its deadline.
      if (queue.length > 0 && !closed) void flush();
    });
    return flushing;
  }

  /** The next send: slices from the head of the queue (first come, first sent) up to maxSendBytes. */
  function takeSend(): Slice[] {
    const send: Slice[] = [];
    let bytes = SEND_OVERHEAD_BYTES;
    while (queue.length > 0) {
      const s = queue[0]!;
      // Slices whose caller already got an answer are not sent: fewer late, unknown-outcome writes.
      if (s.pending.settled) {
        queue.shift();
        finish(s);
        continue;
      }
      if (send.length > 0 && bytes + s.bytes > maxSendBytes) break;
      queue.shift();
      send.push(s);
      bytes += s.bytes;
    }
    return send;
  }

  async function drain(): Promise<void> {
    while (queue.length > 0 && !closed) {
      const send = takeSend();
      if (send.length === 0) continue;
      try {
        await connect();
        const byTopic = new Map<string, Message[]>();
        for (const s of send) {
          const list = byTopic.get(s.pending.topic) ?? [];
          for (const m of s.messages) list.push({ key: m.key, value: m.value, headers: m.headers });
          byTopic.set(s.pending.topic, list);
        }
        requests++;
        await producer.sendBatch({
          acks: -1,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
        for (const s of send) {
          finish(s);
          acknowledged += s.messages.length;
          if (--s.pending.unacked === 0) settle(s.pending);
        }
      } catch (e) {
        replaceProducer();
        if (TOO_LARGE.has(brokerErrorType(e) ?? '')) {
          retryTooLarge(send);
          continue;
        }
        // A connection the broker closed (MSK closes IAM sessions at token expiry, and kafkajs cannot
        // re-authenticate them) fails a send whose outcome is unknown. A new producer, a new connection and one
        // more try, within the caller's deadline (the timer still runs). If the first try did land, the event
        // is in Kafka twice with one event_id; the aggregate step stores and counts it once.
        const again = send.filter((s) => !s.pending.settled && s.failures === 0);
        for (const s of send) {
          if (again.includes(s)) continue;
          finish(s);
          settle(s.pending, new ProducerUnavailableError('Kafka did not acknowledge the write', { cause: e }));
        }
        for (const s of again) s.failures++;
        queue.unshift(...again);
      }
    }
    for (const s of queue.splice(0)) {
      finish(s);
      settle(s.pending, new ProducerUnavailableError('producer is shut down'));
    }
  }

  /**
   * The broker refused a send as too large: nothing of it was written (for this partition). Send it in halves,
   * and lower the size of later sends; a single record that is too large fails its caller at once, not as
   * "unavailable" (a retry could never succeed).
   */
  function retryTooLarge(send: Slice[]): void {
    const bytes = send.reduce((n, s) => n + s.bytes, 0);
    // Strictly below what was refused, so the same slices are never packed together again: this terminates.
    maxSendBytes = Math.max(1, Math.min(maxSendBytes, Math.floor(bytes / 2)));
    const back: Slice[] = [];
    for (const s of send) {
      if (s.pending.settled) {
        finish(s);
        continue;
      }
      if (send.length > 1) {
        back.push(s);
      } else if (s.messages.length > 1) {
        const mid = Math.ceil(s.messages.length / 2);
        const halves = [s.messages.slice(0, mid), s.messages.slice(mid)].map((messages) => ({
          pending: s.pending,
          messages,
          bytes: messages.reduce((n, m) => n + recordBytes(m), 0),
          failures: s.failures,
        }));
        s.pending.unacked++;
        back.push(...halves);
      } else {
        finish(s);
        settle(s.pending, new RecordTooLargeError(s.pending.topic, s.bytes));
      }
    }
    queue.unshift(...back);
  }

  return {
    send(topic, messages) {
      if (closed) return Promise.reject(new ProducerUnavailableError('producer is shut down'));
      if (messages.length === 0) return Promise.resolve();
      if (queued + messages.length > opts.maxQueuedMessages) {
        return Promise.reject(new ProducerUnavailableError('producer queue is full'));
      }
      queued += messages.length;
      return new Promise<void>((resolve, reject) => {
        const p: Pending = {
          topic,
          resolve,
          reject,
          settled: false,
          timer: undefined as unknown as NodeJS.Timeout,
          unacked: 0,
        };
        p.timer = setTimeout(
          () => settle(p, new ProducerUnavailableError(`no acknowledgement within ${opts.sendTimeoutMs} ms`)),
          opts.sendTimeoutMs,
        );
        const slices = slicesOf(p, messages);
        p.unacked = slices.length;
        queue.push(...slices);
        void flush();
      });
    },
    pending: () => queued,
    stats: () => ({ requests, acknowledged }),
    async disconnect() {
      closed = true;
      // Let an in-flight send finish or give up (kafkajs's retries are bounded) before closing the connection.
      await Promise.race([flushing, new Promise((r) => setTimeout(r, SHUTDOWN_WAIT_MS).unref())]);
      await producer.disconnect().catch(() => undefined);
    },
  };
}
