// CustomerSignal producer SDK: track events from Node 20 or a browser into POST /v1/events.
export { CustomerSignal } from './client';
export {
  CustomerSignalError,
  ApiError,
  NetworkError,
  EventsRejectedError,
  RetriesExhaustedError,
  QueueFullError,
  ClientClosedError,
  InvalidEventError,
  type EventRejection,
} from './errors';
export type {
  CustomerSignalOptions,
  TrackOptions,
  EventInput,
  EventPayload,
  Properties,
  ClientStats,
  FetchLike,
  FetchResponseLike,
} from './types';
export { uuidv7 } from './uuid';
export { backoffDelay, parseRetryAfter } from './backoff';
