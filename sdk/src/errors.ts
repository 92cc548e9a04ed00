// Typed errors of the SDK. `track()` throws the local ones synchronously (QueueFullError, ClientClosedError,
// InvalidEventError); delivery problems never throw: they are handed to `onError(error, events)`.
import type { EventPayload } from './types';

export class CustomerSignalError extends Error {
  override name = 'CustomerSignalError';
  constructor(
    /** Machine-readable: the API's error code (`unauthorized`, `payload_too_large`, …) or an SDK code. */
    readonly code: string,
    message: string,
    /** Whether the SDK considers the failure transient (it retried, or would have). */
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** An HTTP answer that is not a success: status, the envelope's code/message/details, and the request id. */
export class ApiError extends CustomerSignalError {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly requestId: string | undefined,
    readonly details: unknown[] | undefined,
    retryable: boolean,
    /** Milliseconds from the `Retry-After` header, when it had one. */
    readonly retryAfterMs?: number,
  ) {
    super(code, message, retryable);
  }
}

/** No HTTP answer: the connection failed (`network_error`) or the request took longer than `timeoutMs` (`timeout`). */
export class NetworkError extends CustomerSignalError {
  override name = 'NetworkError';
  constructor(code: 'network_error' | 'timeout', message: string, cause?: unknown) {
    super(code, message, true, { cause });
  }
}

export interface EventRejection {
  /** Position of the event in the batch that was sent (as the API reports it). */
  index: number;
  /** The API's per-event code: `invalid_event`, `unknown_project`, `forbidden_project`, `schema_violation`, `catalog_limit`, … */
  code: string;
  message: string;
  /** The event as it was sent (null if the index did not match anything the SDK sent). */
  event: EventPayload | null;
}

/**
 * Some (202) or all (400 `no_events_accepted`) events of a batch were refused by the API. These are client
 * mistakes: they are never retried. `events` passed to onError are exactly the rejected ones.
 */
export class EventsRejectedError extends CustomerSignalError {
  override name = 'EventsRejectedError';
  constructor(
    readonly status: number,
    readonly rejections: EventRejection[],
    readonly requestId: string | undefined,
  ) {
    super(
      'events_rejected',
      `${rejections.length} event(s) rejected by the API: ` +
        rejections
          .slice(0, 3)
          .map((r) => `#${r.index} ${r.code}: ${r.message}`)
          .join('; ') +
        (rejections.length > 3 ? '; …' : ''),
      false,
    );
  }
}

/** A retryable failure persisted through `maxRetries` retries; `cause` is the last failure. */
export class RetriesExhaustedError extends CustomerSignalError {
  override name = 'RetriesExhaustedError';
  constructor(
    readonly attempts: number,
    readonly lastError: CustomerSignalError,
  ) {
    super('retries_exhausted', `gave up after ${attempts} attempts; last error: ${lastError.message}`, true, {
      cause: lastError,
    });
  }
}

/** Thrown by track() when `maxQueueSize` events are already waiting: the NEW event is refused (nothing queued is dropped). */
export class QueueFullError extends CustomerSignalError {
  override name = 'QueueFullError';
  constructor(readonly maxQueueSize: number) {
    super(
      'queue_full',
      `the SDK already holds ${maxQueueSize} unsent events (maxQueueSize); this event was not queued`,
      false,
    );
  }
}

/** Thrown by track() after shutdown(). */
export class ClientClosedError extends CustomerSignalError {
  override name = 'ClientClosedError';
  constructor() {
    super('client_closed', 'the client was shut down; create a new one to track more events', false);
  }
}

/** Thrown by track() for an event the SDK cannot send at all (not a string type, not serializable, larger than a batch may be). */
export class InvalidEventError extends CustomerSignalError {
  override name = 'InvalidEventError';
  constructor(message: string, cause?: unknown) {
    super('invalid_event', message, false, { cause });
  }
}
