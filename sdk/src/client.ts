// The CustomerSignal producer client: an in-memory queue, batches to POST /v1/events, one request in flight
// at a time (so events arrive in the order they were tracked), retries with the same event_ids.
// Only fetch, AbortController, setTimeout and Web Crypto: runs in Node 20 and in browsers.
import { backoffDelay, parseRetryAfter } from './backoff';
import {
  ApiError,
  ClientClosedError,
  CustomerSignalError,
  EventsRejectedError,
  InvalidEventError,
  NetworkError,
  QueueFullError,
  RetriesExhaustedError,
  type EventRejection,
} from './errors';
import type {
  ClientStats,
  CustomerSignalOptions,
  EventInput,
  EventPayload,
  FetchLike,
  Properties,
  TrackOptions,
} from './types';
import { uuidv7 } from './uuid';

type TimerHandle = ReturnType<typeof setTimeout>;

interface Entry {
  seq: number;
  /** The event serialized at track() time: later changes to the caller's objects do not leak into it. */
  json: string;
  bytes: number;
}

type Outcome =
  | { kind: 'accepted'; status: number; body: unknown; requestId: string | undefined }
  | { kind: 'rejected_all'; status: number; details: unknown[]; requestId: string | undefined }
  | { kind: 'too_large'; error: ApiError }
  | { kind: 'fatal'; error: ApiError }
  | { kind: 'retry'; error: CustomerSignalError; retryAfterMs: number | undefined };

/** `{"events":[]}` */
const BATCH_OVERHEAD = 13;
/** A Retry-After longer than this (a misconfigured proxy, say) is shortened to it. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3; // lone surrogate: JSON.stringify escapes these, so this is only an upper bound
    } else n += 3;
  }
  return n;
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.floor(v) !== v || v < min) {
    throw new RangeError(`CustomerSignal: ${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return v;
}

function payloadsOf(batch: Entry[]): EventPayload[] {
  return batch.map((e) => JSON.parse(e.json) as EventPayload);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function defaultOnError(error: CustomerSignalError, events: EventPayload[]): void {
  // eslint-disable-next-line no-console -- the documented default (sdk/README.md): a producer with no onError still hears of failures
  console.warn(`[customersignal] ${error.name} (${error.code}): ${error.message} — ${events.length} event(s) affected`);
}

export class CustomerSignal {
  private readonly apiKey: string;
  private readonly endpoint: string;
  private readonly project: string | undefined;
  private readonly flushAt: number;
  private readonly flushIntervalMs: number;
  private readonly maxBatchSize: number;
  private readonly maxBatchBytes: number;
  private readonly maxQueueSize: number;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly fetchImpl: FetchLike;
  private readonly onError: NonNullable<CustomerSignalOptions['onError']>;
  private readonly random: () => number;

  private queue: Entry[] = [];
  private inFlight = 0;
  /** Sequence number of the last event queued, of the last one finished (sent or given up on), and the flush target. */
  private lastSeq = 0;
  private doneSeq = 0;
  private flushTarget = 0;
  private waiters: { seq: number; resolve: () => void }[] = [];
  private running = false;
  private timer: TimerHandle | undefined;
  private closed = false;
  private shutdownPromise: Promise<void> | undefined;
  private readonly counters = { accepted: 0, rejected: 0, failed: 0, dropped: 0, requests: 0, retries: 0 };

  constructor(options: CustomerSignalOptions) {
    if (!options || typeof options.apiKey !== 'string' || options.apiKey.length === 0) {
      throw new TypeError('CustomerSignal: apiKey is required (a key with the "ingest" scope)');
    }
    this.apiKey = options.apiKey;
    this.endpoint = `${(options.host ?? 'http://127.0.0.1:3000').replace(/\/+$/, '')}/v1/events`;
    this.project = options.project;
    this.flushAt = positiveInt('flushAt', options.flushAt, 100);
    this.flushIntervalMs = positiveInt('flushIntervalMs', options.flushIntervalMs, 1000);
    this.maxBatchSize = positiveInt('maxBatchSize', options.maxBatchSize, 1000);
    this.maxBatchBytes = positiveInt('maxBatchBytes', options.maxBatchBytes, 1_000_000, BATCH_OVERHEAD + 2);
    this.maxQueueSize = positiveInt('maxQueueSize', options.maxQueueSize, 10_000);
    this.maxRetries = positiveInt('maxRetries', options.maxRetries, 10, 0);
    this.timeoutMs = positiveInt('timeoutMs', options.timeoutMs, 10_000);
    this.retryBaseMs = positiveInt('retryBaseMs', options.retryBaseMs, 200);
    this.retryMaxMs = positiveInt('retryMaxMs', options.retryMaxMs, 30_000);
    const globalFetch = (globalThis as { fetch?: typeof fetch }).fetch;
    const f: FetchLike | undefined = options.fetch ?? (globalFetch ? globalFetch.bind(globalThis) : undefined);
    if (!f) throw new TypeError('CustomerSignal: no fetch available in this runtime; pass options.fetch');
    this.fetchImpl = f;
    this.onError = options.onError ?? defaultOnError;
    this.random = options.random ?? Math.random;
  }

  /** Records an event; returns its event_id (generated here, so every retry carries the same one). */
  track(eventType: string, properties?: Properties, options: TrackOptions = {}): string {
    return this.trackEvent({
      event_type: eventType,
      properties,
      user_id: options.userId,
      session_id: options.sessionId,
      timestamp: options.timestamp,
      event_id: options.eventId,
      project: options.project,
    });
  }

  /** Records an event given in the API's wire shape; event_id, timestamp and project are filled in when absent. */
  trackEvent(input: EventInput): string {
    if (this.closed) throw new ClientClosedError();
    if (!isRecord(input) || typeof input.event_type !== 'string' || input.event_type.length === 0) {
      throw new InvalidEventError('event_type must be a non-empty string');
    }
    if (input.event_id !== undefined && (typeof input.event_id !== 'string' || input.event_id.length === 0)) {
      throw new InvalidEventError('event_id, when given, must be a non-empty string');
    }
    const payload: EventPayload = { event_type: input.event_type, event_id: input.event_id ?? uuidv7() };
    const project = input.project ?? this.project;
    if (project !== undefined) payload.project = project;
    payload.timestamp = this.normalizeTimestamp(input.timestamp);
    if (input.user_id !== undefined) payload.user_id = input.user_id;
    if (input.session_id !== undefined) payload.session_id = input.session_id;
    if (input.properties !== undefined) payload.properties = input.properties;

    let json: string;
    try {
      json = JSON.stringify(payload);
    } catch (e) {
      throw new InvalidEventError(`the event cannot be serialized as JSON: ${(e as Error).message}`, e);
    }
    const bytes = utf8Length(json);
    if (bytes + BATCH_OVERHEAD > this.maxBatchBytes) {
      throw new InvalidEventError(
        `the event is ${bytes} bytes serialized; a request may carry at most ${this.maxBatchBytes} (maxBatchBytes)`,
      );
    }
    if (this.queue.length + this.inFlight >= this.maxQueueSize) {
      this.counters.dropped++;
      throw new QueueFullError(this.maxQueueSize);
    }

    this.queue.push({ seq: ++this.lastSeq, json, bytes });
    if (this.queue.length >= this.flushAt) this.requestFlush();
    else if (this.timer === undefined) {
      this.timer = this.setTimer(
        () => {
          this.timer = undefined;
          this.requestFlush();
        },
        this.flushIntervalMs,
        true,
      );
    }
    return payload.event_id;
  }

  /** Sends every event queued so far; resolves once each is delivered or reported to onError. Never rejects. */
  flush(): Promise<void> {
    const target = this.lastSeq;
    if (target <= this.doneSeq) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.waiters.push({ seq: target, resolve }));
    this.flushTarget = Math.max(this.flushTarget, target);
    this.kick();
    return done;
  }

  /** Refuses further track() calls (ClientClosedError), stops the timer, and flushes. Idempotent. */
  shutdown(): Promise<void> {
    if (!this.shutdownPromise) {
      this.closed = true;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.shutdownPromise = this.flush();
    }
    return this.shutdownPromise;
  }

  get stats(): ClientStats {
    return { queued: this.queue.length, inFlight: this.inFlight, ...this.counters };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- internals ----

  private normalizeTimestamp(ts: EventInput['timestamp']): string | number {
    if (ts === undefined) return new Date().toISOString();
    if (ts instanceof Date) {
      if (Number.isNaN(ts.getTime())) throw new InvalidEventError('timestamp is an invalid Date');
      return ts.toISOString();
    }
    if (typeof ts === 'string' || typeof ts === 'number') return ts;
    throw new InvalidEventError('timestamp must be a Date, an ISO-8601 string or epoch milliseconds');
  }

  private setTimer(fn: () => void, ms: number, unref: boolean): TimerHandle {
    const handle = setTimeout(fn, ms);
    // Node: an idle client must not keep the process alive. Browsers return a number: nothing to do.
    if (unref) (handle as unknown as { unref?: () => void }).unref?.();
    return handle;
  }

  private sleep(ms: number): Promise<void> {
    // Not unref'd: a client that is retrying has work to finish (e.g. `await client.shutdown()` at the end of a script).
    return new Promise((resolve) => this.setTimer(resolve, ms, false));
  }

  private requestFlush(): void {
    this.flushTarget = this.lastSeq;
    this.kick();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.pump();
  }

  /** The single sender: takes batches from the head of the queue, one request (and its retries) at a time. */
  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.queue[0]!.seq <= this.flushTarget) {
        const batch = this.takeBatch();
        this.inFlight = batch.length;
        try {
          await this.deliver(batch, true);
        } catch (e) {
          // Defensive: deliver() handles every failure it knows; anything else must not stop the pump.
          this.counters.failed += batch.length;
          this.report(
            new CustomerSignalError(
              'internal_error',
              `unexpected SDK error: ${(e as Error)?.message ?? String(e)}`,
              false,
              { cause: e },
            ),
            payloadsOf(batch),
          );
        } finally {
          this.inFlight = 0;
        }
        this.doneSeq = batch[batch.length - 1]!.seq;
        this.settleWaiters();
      }
    } finally {
      this.running = false;
    }
  }

  private takeBatch(): Entry[] {
    let n = 0;
    let bytes = BATCH_OVERHEAD;
    while (n < this.queue.length && n < this.maxBatchSize) {
      const e = this.queue[n]!;
      if (e.seq > this.flushTarget) break;
      const add = e.bytes + (n > 0 ? 1 : 0);
      if (n > 0 && bytes + add > this.maxBatchBytes) break;
      bytes += add;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private settleWaiters(): void {
    const ready = this.waiters.filter((w) => w.seq <= this.doneSeq);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.seq > this.doneSeq);
    for (const w of ready) w.resolve();
  }

  /** Sends one batch until it is accepted or given up on. `canSplit`: a 413 / too_many_events may split it in halves (once). */
  private async deliver(batch: Entry[], canSplit: boolean): Promise<void> {
    const body = `{"events":[${batch.map((e) => e.json).join(',')}]}`;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(body);
      switch (outcome.kind) {
        case 'accepted':
          this.handleAccepted(outcome, batch);
          return;
        case 'rejected_all': {
          // 400 no_events_accepted: every event of the batch was refused; details holds the per-index reasons.
          const rejections = this.rejectionsOf(outcome.details, batch);
          this.counters.rejected += batch.length;
          this.report(new EventsRejectedError(outcome.status, rejections, outcome.requestId), payloadsOf(batch));
          return;
        }
        case 'too_large':
          if (canSplit && batch.length > 1) {
            const mid = Math.ceil(batch.length / 2);
            await this.deliver(batch.slice(0, mid), false);
            await this.deliver(batch.slice(mid), false);
            return;
          }
          this.fail(outcome.error, batch);
          return;
        case 'fatal':
          this.fail(outcome.error, batch);
          return;
        case 'retry': {
          if (attempt >= this.maxRetries) {
            this.fail(new RetriesExhaustedError(attempt + 1, outcome.error), batch);
            return;
          }
          const delay =
            outcome.retryAfterMs !== undefined
              ? Math.min(outcome.retryAfterMs, MAX_RETRY_AFTER_MS)
              : backoffDelay(attempt, this.retryBaseMs, this.retryMaxMs, this.random);
          this.counters.retries++;
          await this.sleep(delay);
        }
      }
    }
  }

  /** One HTTP request, bounded by timeoutMs (including reading the body). Never throws. */
  private async attempt(body: string): Promise<Outcome> {
    const controller = new AbortController();
    let timer: TimerHandle | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.setTimer(
        () => {
          reject(new NetworkError('timeout', `no complete answer from ${this.endpoint} within ${this.timeoutMs} ms`));
          controller.abort();
        },
        this.timeoutMs,
        true,
      );
    });
    const work = (async () => {
      const res = await this.fetchImpl(this.endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.apiKey}` },
        body,
        signal: controller.signal,
      });
      return { res, text: await res.text() };
    })();
    work.catch(() => undefined); // it may lose the race against the timeout and reject later
    this.counters.requests++;
    try {
      const { res, text } = await Promise.race([work, timeout]);
      return this.classify(res.status, res.headers, text);
    } catch (e) {
      if (e instanceof NetworkError) return { kind: 'retry', error: e, retryAfterMs: undefined };
      const msg = (e as Error)?.message ?? String(e);
      return {
        kind: 'retry',
        error: new NetworkError('network_error', `request to ${this.endpoint} failed: ${msg}`, e),
        retryAfterMs: undefined,
      };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  private classify(status: number, headers: { get(name: string): string | null }, text: string): Outcome {
    let body: unknown;
    try {
      body = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const headerRequestId = headers.get('x-request-id') ?? undefined;
    if (status >= 200 && status < 300) return { kind: 'accepted', status, body, requestId: headerRequestId };

    const envelope = isRecord(body) && isRecord(body.error) ? body.error : undefined;
    const code = typeof envelope?.code === 'string' ? envelope.code : `http_${status}`;
    const message = typeof envelope?.message === 'string' ? envelope.message : text.slice(0, 200) || `HTTP ${status}`;
    const details = Array.isArray(envelope?.details) ? (envelope.details as unknown[]) : undefined;
    const requestId = isRecord(body) && typeof body.request_id === 'string' ? body.request_id : headerRequestId;
    const retryAfterMs = parseRetryAfter(headers.get('retry-after'), Date.now());

    if (status === 400 && code === 'no_events_accepted' && details) {
      return { kind: 'rejected_all', status, details, requestId };
    }
    const retryable = status === 408 || status === 429 || status >= 500;
    const error = new ApiError(status, code, message, requestId, details, retryable, retryAfterMs);
    // 413, or more events than this server takes per request (its MAX_EVENTS_PER_BATCH below maxBatchSize): split once.
    if (status === 413 || (status === 400 && code === 'too_many_events')) return { kind: 'too_large', error };
    return retryable ? { kind: 'retry', error, retryAfterMs } : { kind: 'fatal', error };
  }

  private handleAccepted(outcome: Extract<Outcome, { kind: 'accepted' }>, batch: Entry[]): void {
    const body = isRecord(outcome.body) ? outcome.body : {};
    const rejections = this.rejectionsOf(body.errors, batch);
    this.counters.accepted += typeof body.accepted === 'number' ? body.accepted : batch.length - rejections.length;
    if (rejections.length === 0) return;
    this.counters.rejected += rejections.length;
    this.report(
      new EventsRejectedError(outcome.status, rejections, outcome.requestId),
      rejections.map((r) => r.event).filter((e): e is EventPayload => e !== null),
    );
  }

  private rejectionsOf(items: unknown, batch: Entry[]): EventRejection[] {
    if (!Array.isArray(items)) return [];
    return items.filter(isRecord).map((r) => {
      const index = typeof r.index === 'number' ? r.index : -1;
      const entry = batch[index];
      return {
        index,
        code: typeof r.code === 'string' ? r.code : 'unknown',
        message: typeof r.message === 'string' ? r.message : '',
        event: entry ? (JSON.parse(entry.json) as EventPayload) : null,
      };
    });
  }

  private fail(error: CustomerSignalError, batch: Entry[]): void {
    this.counters.failed += batch.length;
    this.report(error, payloadsOf(batch));
  }

  private report(error: CustomerSignalError, events: EventPayload[]): void {
    try {
      const r = this.onError(error, events);
      if (r && typeof (r as Promise<void>).then === 'function') (r as Promise<void>).then(undefined, () => undefined);
    } catch {
      // A failing onError must not break delivery of the other events.
    }
  }
}
