// Several concurrent producers using the SDK (sdk/src), with a ledger: every event tracked, every event a 202 acked
// (event_ids per acknowledged batch, read off the real responses through the SDK's `fetch` option), and every other
// answer the producers saw (status codes, connection errors with their time).
import { CustomerSignal, type CustomerSignalError, type EventPayload, type FetchLike } from '../../sdk/src';

export interface Tracked {
  phase: number;
  eventType: string;
  trackedAt: number;
}

export interface Ledger {
  tracked: Map<string, Tracked>;
  /** event_id → time of the first 202 that acknowledged it. */
  acked: Map<string, number>;
  /** Non-202 answers: status → count. */
  statuses: Map<number, number>;
  /** Requests that got no HTTP answer (connection refused/reset, timeout): when, and why. */
  connectionErrors: { atMs: number; message: string }[];
  /** Whatever the SDK reported to onError (rejected events, given-up batches): must stay empty. */
  sdkErrors: { code: string; message: string; events: number }[];
}

export interface Producers {
  ledger: Ledger;
  /** Events of the current phase get event type `chaos_p<phase>`. */
  setPhase(phase: number): void;
  /** Queues `n` events of the given type on producer 0 right away (the alert rule's traffic). */
  burst(eventType: string, n: number): void;
  /** Stops tracking, then waits until every producer delivered or gave up on everything queued. */
  stop(): Promise<void>;
  stats(): { tracked: number; acked: number; queued: number };
}

export function startProducers(opts: {
  url: string;
  key: string;
  project: string;
  producers: number;
  eventsPerSecond: number;
}): Producers {
  const ledger: Ledger = {
    tracked: new Map(),
    acked: new Map(),
    statuses: new Map(),
    connectionErrors: [],
    sdkErrors: [],
  };
  let phase = 0;

  const recordingFetch: FetchLike = async (url, init) => {
    const ids = (JSON.parse(init.body) as { events: EventPayload[] }).events.map((e) => e.event_id);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, init);
      text = await res.text();
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      ledger.connectionErrors.push({
        atMs: Date.now(),
        message: `${err.message}${err.cause ? ` (${err.cause.code ?? err.cause.message})` : ''}`,
      });
      throw e;
    }
    if (res.status === 202) {
      const now = Date.now();
      let rejected = new Set<number>();
      try {
        const body = JSON.parse(text) as { errors?: { index: number }[] };
        rejected = new Set((body.errors ?? []).map((r) => r.index));
      } catch {
        /* a 202 is a 202 */
      }
      ids.forEach((id, i) => {
        if (!rejected.has(i) && !ledger.acked.has(id)) ledger.acked.set(id, now);
      });
    } else {
      ledger.statuses.set(res.status, (ledger.statuses.get(res.status) ?? 0) + 1);
    }
    return { status: res.status, headers: res.headers, text: async () => text };
  };

  const onError = (error: CustomerSignalError, events: EventPayload[]) => {
    ledger.sdkErrors.push({ code: error.code, message: error.message, events: events.length });
  };
  const clients = Array.from(
    { length: opts.producers },
    () =>
      new CustomerSignal({
        apiKey: opts.key,
        host: opts.url,
        project: opts.project,
        flushAt: 50,
        flushIntervalMs: 200,
        maxQueueSize: 200_000,
        // Retry for as long as an outage lasts: every event must end up acknowledged.
        maxRetries: 100_000,
        retryBaseMs: 100,
        retryMaxMs: 1_000,
        timeoutMs: 10_000,
        fetch: recordingFetch,
        onError,
      }),
  );

  const track = (c: CustomerSignal, eventType: string, n: number) => {
    for (let i = 0; i < n; i++) {
      const user = `u${Math.floor(Math.random() * 500)}`;
      const id = c.track(eventType, { amount: Math.round(Math.random() * 10_000) / 100, n: 1 }, { userId: user });
      ledger.tracked.set(id, { phase, eventType, trackedAt: Date.now() });
    }
  };

  // Steady ingest: every 100 ms each producer tracks its share (fractions carried over).
  const perTick = opts.eventsPerSecond / 10 / opts.producers;
  const carry = clients.map(() => 0);
  const timer = setInterval(() => {
    clients.forEach((c, i) => {
      carry[i]! += perTick;
      const n = Math.floor(carry[i]!);
      carry[i]! -= n;
      track(c, `chaos_p${phase}`, n);
    });
  }, 100);

  return {
    ledger,
    setPhase(p) {
      phase = p;
    },
    burst(eventType, n) {
      track(clients[0]!, eventType, n);
    },
    async stop() {
      clearInterval(timer);
      await Promise.all(clients.map((c) => c.shutdown()));
    },
    stats() {
      return {
        tracked: ledger.tracked.size,
        acked: ledger.acked.size,
        queued: clients.reduce((n, c) => n + c.stats.queued + c.stats.inFlight, 0),
      };
    },
  };
}
