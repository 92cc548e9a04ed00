// The record written to events_raw: one accepted event with its tenant and project resolved.
import { isPlainObject } from './event-validation';
import { isUuid } from './ids';
import { deadLetter, ok, type DeadLetter, type Ok } from './outcome';

export interface RawEvent {
  tenantId: string;
  projectId: string;
  project: string;
  eventId: string;
  eventType: string;
  timestampMs: number;
  receivedAtMs: number;
  /** The event's distinct id: the user id if one was sent, else the anonymous id. */
  userId: string | null;
  /** The anonymous id the event carried (docs/api.md#people); null or absent when none. */
  anonymousId?: string | null;
  sessionId: string | null;
  properties: Record<string, unknown>;
  /** Segment's context (device, app, library…), stored beside the properties; null for events without one. */
  context: Record<string, unknown> | null;
}

// `context` was added without a new version: it is written only when present, and a record without it (all
// records from before) decodes with context null, so old records and old readers keep working. `anonymous_id`
// likewise: written only when present, absent decodes as null.
const WIRE_VERSION = 1;

export function encodeRawEvent(e: RawEvent): string {
  return JSON.stringify({
    v: WIRE_VERSION,
    tenant_id: e.tenantId,
    project_id: e.projectId,
    project: e.project,
    event_id: e.eventId,
    event_type: e.eventType,
    ts: e.timestampMs,
    received_at: e.receivedAtMs,
    user_id: e.userId,
    session_id: e.sessionId,
    properties: e.properties,
    ...(e.context ? { context: e.context } : {}),
    ...(e.anonymousId != null ? { anonymous_id: e.anonymousId } : {}),
  });
}

/** A record that breaks the wire contract can never be processed: it goes to the dead-letter queue with the reason. */
export type DecodeResult = Ok<RawEvent> | DeadLetter;

/** Parses a record value; a record that breaks the wire contract is a value, not an exception. */
export function decodeRawEvent(value: string): DecodeResult {
  let o: unknown;
  try {
    o = JSON.parse(value);
  } catch {
    return deadLetter('unparseable_json');
  }
  if (!isPlainObject(o)) return deadLetter('not_an_object');
  if (o.v !== WIRE_VERSION) return deadLetter('unknown_wire_version');
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
  const optStr = (k: string) => (o[k] === null || o[k] === undefined ? null : str(k));
  const num = (k: string) => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? (o[k] as number) : undefined);
  const tenantId = str('tenant_id');
  const projectId = str('project_id');
  const project = str('project');
  const eventId = str('event_id');
  const eventType = str('event_type');
  const ts = num('ts');
  const receivedAt = num('received_at');
  const userId = optStr('user_id');
  const sessionId = optStr('session_id');
  const anonymousId = optStr('anonymous_id');
  const properties = o.properties ?? {};
  const context = o.context ?? null;
  if (!tenantId || !isUuid(tenantId) || !projectId || !isUuid(projectId)) return deadLetter('bad_tenant_or_project');
  if (!project || !eventId || !eventType || ts === undefined || receivedAt === undefined)
    return deadLetter('missing_field');
  if (userId === undefined || sessionId === undefined || anonymousId === undefined || !isPlainObject(properties))
    return deadLetter('bad_field_type');
  if (context !== null && !isPlainObject(context)) return deadLetter('bad_field_type');
  return ok({
    tenantId,
    projectId,
    project,
    eventId,
    eventType,
    timestampMs: ts,
    receivedAtMs: receivedAt,
    userId,
    ...(anonymousId !== null ? { anonymousId } : {}),
    sessionId,
    properties,
    context,
  });
}
