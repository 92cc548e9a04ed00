// Validation of ingest bodies and events against the contract of POST /v1/events. Pure.
import { uuidv7 } from './ids';

export interface ValidationLimits {
  maxEventsPerBatch: number;
  maxPropertiesBytes: number;
  maxPropertiesDepth: number;
  maxFutureSkewMs: number;
  retentionMs: number;
}

/** An event that passed validation, before its project slug is resolved. */
export interface ValidEvent {
  index: number;
  project: string | null;
  eventId: string;
  eventType: string;
  timestampMs: number;
  userId: string | null;
  sessionId: string | null;
  properties: Record<string, unknown>;
  /** Where the event came from (device, app, library…), beside the properties: the Segment endpoints fill it; null otherwise. */
  context: Record<string, unknown> | null;
}

/** Event types the product itself defines (the Segment endpoints' non-track calls); senders cannot use "$" names. */
export const RESERVED_EVENT_TYPES: ReadonlySet<string> = new Set(['$page', '$screen', '$identify', '$group', '$alias']);

export interface EventRejection {
  index: number;
  code: string;
  message: string;
}

export type EventCheck = { ok: true; event: ValidEvent } | { ok: false; rejection: EventRejection };

export type BodyShape =
  | { ok: true; events: unknown[]; tenantIds: unknown[] }
  | { ok: false; status: 400; code: string; message: string };

const EVENT_FIELDS = new Set(['event_type', 'project', 'timestamp', 'event_id', 'user_id', 'session_id', 'properties', 'tenant_id']);
const MAX_EVENT_TYPE = 200;
const MAX_EVENT_ID = 128;
const MAX_USER_FIELD = 256;
// Control characters, lone surrogates, line/paragraph separators: never printable.
const NON_PRINTABLE = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/u;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Splits a parsed body into its events: one event object, or {"events": [...]}. */
export function readBodyShape(body: unknown, maxEvents: number): BodyShape {
  if (Array.isArray(body)) {
    return { ok: false, status: 400, code: 'invalid_body', message: 'The body is a JSON array; send one event object or {"events": [event, ...]}.' };
  }
  if (!isPlainObject(body)) {
    return { ok: false, status: 400, code: 'invalid_body', message: 'The body must be a JSON object: one event, or {"events": [event, ...]}.' };
  }
  if (!('events' in body)) return { ok: true, events: [body], tenantIds: [body.tenant_id] };
  const events = body.events;
  if (!Array.isArray(events)) {
    return { ok: false, status: 400, code: 'invalid_body', message: '"events" must be an array of event objects.' };
  }
  if (events.length === 0) {
    return { ok: false, status: 400, code: 'invalid_body', message: '"events" is empty; send between 1 and ' + maxEvents + ' events.' };
  }
  if (events.length > maxEvents) {
    return { ok: false, status: 400, code: 'too_many_events', message: `A batch holds at most ${maxEvents} events; this one has ${events.length}. Split it into several requests.` };
  }
  const tenantIds = [body.tenant_id, ...events.map((e) => (isPlainObject(e) ? e.tenant_id : undefined))];
  return { ok: true, events, tenantIds };
}

function reject(index: number, message: string, code = 'invalid_event'): EventCheck {
  return { ok: false, rejection: { index, code, message } };
}

function checkText(value: unknown, field: string, max: number): string | undefined {
  if (typeof value !== 'string') return `${field} must be a string, got ${describeType(value)}`;
  if (value.length === 0) return `${field} must not be empty`;
  // UTF-16 length bounds the code-point count from above: count code points only when it could matter.
  if (value.length > max && [...value].length > max) return `${field} is longer than ${max} characters`;
  if (NON_PRINTABLE.test(value)) return `${field} contains control or non-printable characters`;
  return undefined;
}

/** True when `value` holds a control, lone-surrogate or line/paragraph-separator character. */
export function hasNonPrintable(value: string): boolean {
  return NON_PRINTABLE.test(value);
}

/** The event_type rule of the contract (shared by ingest and the catalog endpoints); undefined when valid. */
export function eventTypeProblem(value: unknown): string | undefined {
  const problem = checkText(value, 'event_type', MAX_EVENT_TYPE);
  if (problem) return problem;
  const eventType = value as string;
  if (eventType.trim() !== eventType) return 'event_type must not start or end with whitespace';
  if (eventType.startsWith('$')) return 'event_type names starting with "$" are reserved for CustomerSignal';
  return undefined;
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function formatAge(ms: number): string {
  const h = ms / 3_600_000;
  if (h >= 48) return `${Math.round(h / 24)} d`;
  if (h >= 1) return `${Math.round(h * 10) / 10} h`;
  return `${Math.round(ms / 60_000)} min`;
}

/** Parses an ISO-8601 string (UTC when no offset is given) or epoch milliseconds. */
export function parseTimestamp(v: unknown): { ms: number } | { error: string } {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || !Number.isInteger(v)) return { error: 'timestamp must be an integer of epoch milliseconds or an ISO-8601 string' };
    if (Math.abs(v) < 100_000_000_000) return { error: `timestamp ${v} looks like epoch seconds; send epoch milliseconds (${v * 1000}) or an ISO-8601 string` };
    return { ms: v };
  }
  if (typeof v === 'string') {
    if (!ISO_8601.test(v)) return { error: `timestamp "${v.slice(0, 40)}" is not ISO-8601 (e.g. 2026-11-27T10:00:00Z) or epoch milliseconds` };
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(v);
    const ms = Date.parse(hasZone ? v : v + 'Z');
    if (Number.isNaN(ms)) return { error: `timestamp "${v}" is not a valid date` };
    return { ms };
  }
  return { error: `timestamp must be an ISO-8601 string or epoch milliseconds, got ${describeType(v)}` };
}

/** Finds objects/arrays nested deeper than `max` levels (properties itself is level 1) or numbers out of range. */
const NUL_PROBLEM = 'properties contain a NUL character (\\u0000), which cannot be stored; remove it';

function inspectProperties(value: unknown, depth: number, max: number, field = 'properties'): string | undefined {
  if (typeof value === 'number' && !Number.isFinite(value)) return `${field} contain a number too large to represent`;
  // JSON allows \u0000 but Postgres jsonb cannot store it: refuse it here rather than poison the pipeline.
  if (typeof value === 'string') return value.includes('\u0000') ? NUL_PROBLEM.replace('properties', field) : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > max) return `${field} are nested more than ${max} levels deep`;
  if (!Array.isArray(value) && Object.keys(value).some((k) => k.includes('\u0000'))) return NUL_PROBLEM.replace('properties', field);
  const children = Array.isArray(value) ? value : Object.values(value);
  for (const child of children) {
    const problem = inspectProperties(child, depth + 1, max, field);
    if (problem) return problem;
  }
  return undefined;
}

/** The storage rules of properties (finite numbers, no NUL, at most `maxDepth` levels) for another JSON object field. */
export function jsonObjectProblem(value: Record<string, unknown>, field: string, maxDepth: number): string | undefined {
  return inspectProperties(value, 1, maxDepth, field);
}

/** `allowReserved`: the caller (a Segment mapping) generated the event type, so the product's reserved types are allowed. */
export function validateEvent(raw: unknown, index: number, nowMs: number, limits: ValidationLimits, opts: { allowReserved?: boolean } = {}): EventCheck {
  if (!isPlainObject(raw)) return reject(index, `event must be a JSON object, got ${describeType(raw)}`);
  const unknown = Object.keys(raw).filter((k) => !EVENT_FIELDS.has(k));
  if (unknown.length > 0) {
    return reject(index, `unknown field ${JSON.stringify(unknown[0])}; allowed fields: event_type, project, timestamp, event_id, user_id, session_id, properties (put custom data in properties)`);
  }
  if (raw.event_type === undefined) return reject(index, 'event_type is required');
  const reserved = opts.allowReserved === true && RESERVED_EVENT_TYPES.has(raw.event_type as string);
  const typeProblem = reserved ? undefined : eventTypeProblem(raw.event_type);
  if (typeProblem) return reject(index, typeProblem);
  const eventType = raw.event_type as string;

  let project: string | null = null;
  if (raw.project !== undefined && raw.project !== null) {
    const problem = checkText(raw.project, 'project', 64);
    if (problem) return reject(index, problem);
    project = raw.project as string;
  }

  let timestampMs = nowMs;
  if (raw.timestamp !== undefined && raw.timestamp !== null) {
    const parsed = parseTimestamp(raw.timestamp);
    if ('error' in parsed) return reject(index, parsed.error);
    timestampMs = parsed.ms;
    if (timestampMs > nowMs + limits.maxFutureSkewMs) return reject(index, `timestamp is ${formatAge(timestampMs - nowMs)} in the future; check the sender's clock`);
    if (timestampMs < nowMs - limits.retentionMs) return reject(index, `timestamp is ${formatAge(nowMs - timestampMs)} old, beyond the retention window of ${formatAge(limits.retentionMs)}`);
  }

  let eventId: string;
  if (raw.event_id === undefined || raw.event_id === null) eventId = uuidv7(nowMs);
  else {
    const problem = checkText(raw.event_id, 'event_id', MAX_EVENT_ID);
    if (problem) return reject(index, problem);
    eventId = raw.event_id as string;
  }

  const optionalText = (field: 'user_id' | 'session_id'): { value: string | null } | { error: string } => {
    const v = raw[field];
    if (v === undefined || v === null) return { value: null };
    const problem = checkText(v, field, MAX_USER_FIELD);
    return problem ? { error: typeof v === 'number' ? `${problem} (send "${v}", not ${v})` : problem } : { value: v as string };
  };
  const user = optionalText('user_id');
  if ('error' in user) return reject(index, user.error);
  const session = optionalText('session_id');
  if ('error' in session) return reject(index, session.error);

  let properties: Record<string, unknown> = {};
  if (raw.properties !== undefined && raw.properties !== null) {
    if (!isPlainObject(raw.properties)) return reject(index, `properties must be a JSON object, got ${describeType(raw.properties)}`);
    // Depth first: inspectProperties stops at the limit, while JSON.stringify would overflow the stack on deep nesting.
    const problem = inspectProperties(raw.properties, 1, limits.maxPropertiesDepth); // properties itself is level 1
    if (problem) return reject(index, problem);
    const size = Buffer.byteLength(JSON.stringify(raw.properties), 'utf8');
    if (size > limits.maxPropertiesBytes) return reject(index, `properties are ${size} bytes serialized; the limit is ${limits.maxPropertiesBytes}`);
    properties = raw.properties;
  }

  return {
    ok: true,
    event: { index, project, eventId, eventType, timestampMs, userId: user.value, sessionId: session.value, properties, context: null },
  };
}
