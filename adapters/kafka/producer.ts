// A producer that answers within a deadline: acks=all, idempotent, bounded queue, concurrent sends merged.
import { Partitioners, type Kafka, type Producer, type Message } from 'kafkajs';

export interface OutMessage {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

/** The log did not confirm the write in time, or the queue is full: the outcome is unknown. */
export class ProducerUnavailableError extends Error {
  override name = 'ProducerUnavailableError';
}

interface Pending {
  topic: string;
  messages: OutMessage[];
  resolve: () => void;
  reject: (e: Error) => void;
  settled: boolean;
  timer: NodeJS.Timeout;
}

export interface ProducerOptions {
  /** How long a caller waits for the broker's acknowledgement. */
  sendTimeoutMs: number;
  /** Messages waiting or in flight beyond which new sends are refused at once. */
  maxQueuedMessages: number;
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

export function createProducer(kafka: Kafka, opts: ProducerOptions): EventLog {
  const makeProducer = (): Producer =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { initialRetryTime: 100, maxRetryTime: 2_000, retries: 8 },
    });
  let producer = makeProducer();
  let connecting: Promise<void> | undefined;
  let queue: Pending[] = [];
  let queued = 0;
  let flushing: Promise<void> | undefined;
  let closed = false;
  let requests = 0;
  let acknowledged = 0;

  const connect = () => {
    connecting ??= producer.connect().catch((e: unknown) => {
      connecting = undefined;
      throw e;
    });
    return connecting;
  };

  const settle = (p: Pending, error?: Error) => {
    if (p.settled) return;
    p.settled = true;
    clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve();
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

  async function drain(): Promise<void> {
    while (queue.length > 0 && !closed) {
      const batch = queue;
      queue = [];
      // Requests whose caller already got "unavailable" are not sent: fewer late, unknown-outcome writes.
      const live = batch.filter((p) => !p.settled);
      const count = batch.reduce((n, p) => n + p.messages.length, 0);
      try {
        if (live.length === 0) continue;
        await connect();
        const byTopic = new Map<string, Message[]>();
        for (const p of live) {
          const list = byTopic.get(p.topic) ?? [];
          for (const m of p.messages) list.push({ key: m.key, value: m.value, headers: m.headers });
          byTopic.set(p.topic, list);
        }
        requests++;
        await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
        for (const p of live) settle(p);
        acknowledged += live.reduce((n, p) => n + p.messages.length, 0);
      } catch (e) {
        const err = new ProducerUnavailableError('Kafka did not acknowledge the write', { cause: e });
        for (const p of live) settle(p, err);
        // The failed write may still have landed. Its sequence numbers must not be reused for other
        // messages (the broker would drop those as duplicates), so start over with a new producer id.
        const failed = producer;
        producer = makeProducer();
        connecting = undefined;
        void failed.disconnect().catch(() => undefined);
      } finally {
        queued -= count;
      }
    }
    for (const p of queue.splice(0)) settle(p, new ProducerUnavailableError('producer is shut down'));
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
        const p: Pending = { topic, messages, resolve, reject, settled: false, timer: undefined as unknown as NodeJS.Timeout };
        p.timer = setTimeout(() => settle(p, new ProducerUnavailableError(`no acknowledgement within ${opts.sendTimeoutMs} ms`)), opts.sendTimeoutMs);
        queue.push(p);
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
