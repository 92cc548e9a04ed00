// Response shapes of the CustomerSignal HTTP API (see docs/api.md) used by the dashboard.
import type { DeclaredType, SchemaMode, TypeStatus } from '../../../core/catalog';
import type { Interval } from '../../../core/intervals';

export type { DeclaredType, SchemaMode, TypeStatus };

/** Every member of the union T, checked by the compiler (a missing or extra member is a type error). */
const allOf =
  <T extends string>() =>
  <const L extends readonly T[]>(...list: L & ([Exclude<T, L[number]>] extends [never] ? unknown : ['missing', Exclude<T, L[number]>])): L =>
    list;

export const SCHEMA_MODES = allOf<SchemaMode>()('open', 'strict');
export const TYPE_STATUSES = allOf<TypeStatus>()('active', 'deprecated');
export const DECLARABLE_TYPES = allOf<DeclaredType>()('string', 'number', 'boolean', 'object', 'array');

export interface StoredEvent {
  event_id: string;
  event_type: string;
  project: string;
  /** ISO-8601 UTC. */
  timestamp: string;
  /** ISO-8601 UTC. */
  received_at: string;
  user_id: string | null;
  session_id: string | null;
  properties: Record<string, unknown>;
  /** Segment's context of events from the Segment-spec endpoints; null otherwise. */
  context: Record<string, unknown> | null;
}

/** `GET /v1/events` */
export interface EventsPage {
  events: StoredEvent[];
  next_cursor: string | null;
}

export interface MetricPoint {
  /** Bucket start, ISO-8601 UTC. */
  t: string;
  /** null only for avg buckets where no event has the property. */
  value: number | null;
}

/** `GET /v1/metrics` */
export interface MetricSeries {
  event_type: string;
  metric: string;
  interval: string;
  /** Time up to which the pipeline has processed this tenant's events; null if never. */
  data_as_of: string | null;
  points: MetricPoint[];
}

/** count | unique_users | sum:<path> | avg:<path> */
export type MetricName = string;

export type MetricInterval = Interval;
