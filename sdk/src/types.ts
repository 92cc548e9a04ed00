// Public types of the SDK.
import type { CustomerSignalError } from './errors';

export type Properties = Record<string, unknown>;

/** One event exactly as it goes on the wire (POST /v1/events). */
export interface EventPayload {
  event_type: string;
  event_id: string;
  project?: string;
  /** ISO-8601 string or epoch milliseconds. */
  timestamp?: string | number;
  user_id?: string;
  session_id?: string;
  properties?: Properties;
}

/** Input of trackEvent(): the wire shape, with event_id and timestamp optional (the SDK fills them in). */
export interface EventInput {
  event_type: string;
  event_id?: string;
  project?: string;
  timestamp?: Date | string | number;
  user_id?: string;
  session_id?: string;
  properties?: Properties;
}

export interface TrackOptions {
  userId?: string;
  sessionId?: string;
  /** When it happened; default: the moment track() is called. Date, ISO-8601 string or epoch ms. */
  timestamp?: Date | string | number;
  /** Idempotency key; default: a fresh UUIDv7. Only pass one if you have a stable id of your own. */
  eventId?: string;
  /** Project slug; default: the client's `project` (omit both for a key bound to one project). */
  project?: string;
}

/** The subset of the Fetch API the SDK uses; `globalThis.fetch` fits, and so does a small fake in tests. */
export interface FetchResponseLike {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<FetchResponseLike>;

export interface CustomerSignalOptions {
  /** An API key with the `ingest` scope. */
  apiKey: string;
  /** Base URL of the API. Default `http://127.0.0.1:3000`. */
  host?: string;
  /** Default project slug for every event (required by the API unless the key is bound to a project). */
  project?: string;
  /** Send as soon as this many events are queued. Default 100. */
  flushAt?: number;
  /** Send queued events at the latest this long after the first of them was tracked. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Events per request; the API takes at most 1000. Default 1000. */
  maxBatchSize?: number;
  /** Serialized bytes per request; the API takes at most 1 MiB (1 048 576). Default 1 000 000. */
  maxBatchBytes?: number;
  /** Unsent events held in memory (queued + in flight); beyond it track() throws QueueFullError. Default 10 000. */
  maxQueueSize?: number;
  /** Retries of one batch after a transient failure (429, 503, other 5xx, network error, timeout). Default 10. */
  maxRetries?: number;
  /** Per-request timeout (response fully read). Default 10 000 ms. */
  timeoutMs?: number;
  /** First backoff step. Default 200 ms. */
  retryBaseMs?: number;
  /** Backoff cap. Default 30 000 ms. */
  retryMaxMs?: number;
  /** Fetch implementation; default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Called for every delivery problem with the events concerned. Default: console.warn. Never called for events that were delivered. */
  onError?: (error: CustomerSignalError, events: EventPayload[]) => void | Promise<void>;
  /** Source of randomness for backoff jitter, in [0, 1). Default Math.random (tests pin it). */
  random?: () => number;
}

export interface ClientStats {
  /** Waiting in the queue, not yet taken into a request. */
  queued: number;
  /** In the batch currently being sent (including its retries). */
  inFlight: number;
  /** Accepted by the API (counted from 202 answers). */
  accepted: number;
  /** Refused by the API per event (client mistakes, not retried). */
  rejected: number;
  /** Given up on: non-retryable request errors (401, 403, 413 after splitting, …) or retries exhausted. */
  failed: number;
  /** Refused by track() because the queue was full (QueueFullError). */
  dropped: number;
  /** HTTP requests made, retries included. */
  requests: number;
  /** Of those, retries. */
  retries: number;
}
