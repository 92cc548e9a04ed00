// Validation of ingest bodies and events against the contract of POST /v1/events. Pure.
import { uuidv7 } from './ids';
import { ok, rejected, type Ok, type Reason, type Rejected } from './outcome';

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
  /** The event's distinct id: the user id when one was sent, else the anonymous id (docs/api.md#people). */
  userId: string | null;
  /** The anonymous id the event carried, if any; with a different user id, the event merges it into the user. */
  anonymousId: string | null;
  sessionId: string | null;
  properties: Record<string, unknown>;
  /** Where the event came from (device, app, library…), beside the properties: the Segment endpoints fill it; null otherwise. */
  context: Record<string, unknown> | null;
}

/** Event types the product itself defines (the Segment endpoints' non-track calls); senders cannot use "$" names. */
export const RESERVED_EVENT_TYPES: ReadonlySet<string> = new Set(['$page', '$screen', '$identify', '$group', '$alias']);

/**
 * The reserved types POST /v1/events accepts too (docs/api.md#people): `$identify` sets the person's traits from
 * its properties; `$alias` merges properties.previous_id into user_id.
 */
export const IDENTITY_EVENT_TYPES: ReadonlySet<string> = new Set(['$identify', '$alias']);

export interface EventRejection {
  index: number;
  code: string;
  message: string;
}

/** One event's validation: the valid event, or its rejection (reported per event in the answer). */
export type EventCheck = Ok<ValidEvent> | Rejected<EventRejection>;

/** The events of a body and the tenant_ids they name, or why the body itself is refused. */
export type BodyShape = Ok<{ events: unknown[]; tenantIds: unknown[] }> | Rejected<Reason>;

const EVENT_FIELDS = new Set([
  'event_type',
  'project',
  'timestamp',
  'event_id',
  'user_id',
  'anonymous_id',
  'session_id',
  'properties',
  'tenant_id',
]);
const MAX_EVENT_TYPE = 200;
const MAX_EVENT_ID = 128;
const MAX_USER_FIELD = 256;
// Control characters, lone surrogates, line/paragraph separators: never printable.
const NON_PRINTABLE = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/u;
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Splits a parsed body into its events: one event object, or {"events": [...]}. */
export function readBodyShape(body: unknown, maxEvents: number): BodyShape {
  if (Array.isArray(body)) {
    return rejected({
      code: 'invalid_body',
      message: 'The body is a JSON array; send one event object or {"events": [event, ...]}.',
    });
  }
  if (!isPlainObject(body)) {
    return rejected({
      code: 'invalid_body',
      message: 'The body must be a JSON object: one event, or {"events": [event, ...]}.',
    });
  }
  if (!('events' in body)) return ok({ events: [body], tenantIds: [body.tenant_id] });
  const events = body.events;
  if (!Array.isArray(events)) {
    return rejected({ code: 'invalid_body', message: '"events" must be an array of event objects.' });
  }
  if (events.length === 0) {
    return rejected({
      code: 'invalid_body',
      message: '"events" is empty; send between 1 and ' + maxEvents + ' events.',
    });
  }
  if (events.length > maxEvents) {
    return rejected({
      code: 'too_many_events',
      message: `A batch holds at most ${maxEvents} events; this one has ${events.length}. Split it into several requests.`,
    });
  }
  const tenantIds = [body.tenant_id, ...events.map((e) => (isPlainObject(e) ? e.tenant_id : undefined))];
  return ok({ events, tenantIds });
}

export function rejectEvent(index: number, message: string, code = 'invalid_event'): Rejected<EventRejection> {
  return rejected({ index, code, message });
}

function checkText(value: unknown, field: string, max: number): string | undefined {
  if (typeof value !== 'string') return `${field} must be a string, got ${describeType(value)}`;
  if (value.length === 0) return `${field} must not be empty`;
  // UTF-16 length bounds the code-point count from above: count code points only when it could matter.
  if (value.length > max && [...value].length > max) return `${field} is longer than ${max} characters`;
  const unstorable = unstorableProblem(value, field);
  if (unstorable) return unstorable;
  const m = NON_PRINTABLE.exec(value);
  if (m) return `${field} contains a control or non-printable character (${codePoint(m[0])}); remove it`;
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
  return invisibleProblem(eventType, 'event_type');
}

/** Event types and property names are stored in Unicode normalisation form C: "é" and "e\u0301" are one name. */
export function normalizeName(name: string): string {
  return name.normalize('NFC');
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
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
    if (!Number.isFinite(v) || !Number.isInteger(v))
      return { error: 'timestamp must be an integer of epoch milliseconds or an ISO-8601 string' };
    if (Math.abs(v) < 100_000_000_000)
      return {
        error: `timestamp ${v} looks like epoch seconds; send epoch milliseconds (${v * 1000}) or an ISO-8601 string`,
      };
    return { ms: v };
  }
  if (typeof v === 'string') {
    const m = ISO_8601.exec(v);
    if (!m)
      return {
        error: `timestamp ${JSON.stringify(v.slice(0, 40))} is not ISO-8601 (e.g. 2026-11-27T10:00:00Z or 2026-11-27) or epoch milliseconds`,
      };
    // A date without a time is midnight UTC of that day; a time without an offset is UTC.
    const dateOnly = !v.includes('T') && !v.includes('t');
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(v) && !dateOnly;
    const ms = Date.parse(dateOnly ? v + 'T00:00:00Z' : hasZone ? v : v + 'Z');
    // Date.parse rolls 2026-02-30 over to March 2: a day the month does not have is not a date.
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const day = new Date(Date.UTC(y, mo - 1, d));
    if (Number.isNaN(ms) || mo < 1 || mo > 12 || day.getUTCDate() !== d)
      return { error: `timestamp ${JSON.stringify(v)} is not a valid date` };
    return { ms };
  }
  return { error: `timestamp must be an ISO-8601 string or epoch milliseconds, got ${describeType(v)}` };
}

// JSON text that Postgres jsonb (and every strict JSON parser downstream) refuses: a lone UTF-16 surrogate
// (JSON.stringify writes it as a "\ud800" escape, which jsonb rejects with 22P02) and NUL (jsonb and text cannot
// hold U+0000). Noncharacters (U+FFFE, U+FDD0…) are valid Unicode scalar values that Postgres stores: accepted.
// eslint-disable-next-line no-control-regex -- NUL is exactly what this refuses
const UNSTORABLE = /[\u0000\p{Cs}]/u;
// Characters that make two different names look the same or reorder their display: format characters (bidi
// controls U+202A-202E, U+2066-2069, U+200E/F, U+061C, zero-width U+200B-200D, U+2060, U+FEFF, soft hyphen…),
// the other default-ignorable code points (Hangul fillers, Mongolian selectors…) except variation selectors
// (emoji use them), and spaces other than U+0020.
const INVISIBLE =
  /(?![\uFE00-\uFE0F\u{E0100}-\u{E01EF}])[\p{Cf}\p{Default_Ignorable_Code_Point}\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/u;

const codePoint = (ch: string) => 'U+' + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');

/** The first character of `value` that Postgres text/jsonb cannot store (NUL or a lone surrogate); undefined when none. */
export function unstorableChar(value: string): string | undefined {
  return UNSTORABLE.exec(value)?.[0];
}

/** The problem of a string that cannot be stored (lone surrogate, NUL), phrased for `what`; undefined when storable. */
export function unstorableProblem(value: string, what: string): string | undefined {
  const ch = unstorableChar(value);
  if (ch === undefined) return undefined;
  if (ch === '\u0000') return `${what} contains a NUL character (\\u0000), which cannot be stored; remove it`;
  return `${what} contains a lone UTF-16 surrogate (${JSON.stringify(ch).slice(1, -1)}), which is not valid Unicode and cannot be stored; send the complete surrogate pair (e.g. \\ud83d\\ude00 for 😀) or remove it`;
}

/** The problem of a name (event type, property name) holding invisible or direction-changing characters; undefined when none. */
export function invisibleProblem(value: string, what: string): string | undefined {
  const m = INVISIBLE.exec(value);
  if (!m) return undefined;
  const kind =
    m[0] === '\u00A0' || /\p{Zs}/u.test(m[0])
      ? 'a space other than U+0020'
      : 'an invisible or direction-changing character';
  return `${what} contains ${kind} (${codePoint(m[0])}), which would make it look like another name; remove it${kind.startsWith('a space') ? ' or use a plain space' : ''}`;
}

/** A key as it appears in a path of a message: plain when it is a simple name, else quoted as JSON. */
function pathOf(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const shown = key.length > 40 ? key.slice(0, 40) + '…' : key;
  return /^[\p{L}\p{N}_$-]+$/u.test(shown) ? `${parent}.${shown}` : `${parent}[${JSON.stringify(shown)}]`;
}

type Inspected = { value: unknown } | { error: string };

/**
 * Checks a JSON value for what cannot be stored (non-finite numbers, NUL, lone surrogates in keys and strings),
 * nesting beyond `max` levels, and returns it with every key normalised to NFC (the same object when nothing
 * changed). Two keys of one object that are equal after NFC are refused. `topLevelNames`: the keys of the
 * outermost object are names users see (catalog property names), so they must not hold invisible characters.
 */
function inspectJson(value: unknown, depth: number, max: number, path: string, topLevelNames: boolean): Inspected {
  if (typeof value === 'number') {
    return Number.isFinite(value)
      ? { value }
      : { error: `${path} is a number too large to store (beyond ±1.8e308); send it as a string` };
  }
  if (typeof value === 'string') {
    const problem = unstorableProblem(value, path);
    return problem ? { error: problem } : { value };
  }
  if (typeof value !== 'object' || value === null) return { value };
  if (depth > max)
    return { error: `${path} is nested more than ${max} levels deep (the top-level object is level 1); flatten it` };
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const r = inspectJson(value[i], depth + 1, max, pathOf(path, i), false);
      if ('error' in r) return r;
      if (r.value !== value[i]) (out ??= value.slice())[i] = r.value;
    }
    return { value: out ?? value };
  }
  const obj = value as Record<string, unknown>;
  const entries: [string, unknown][] = [];
  let changed = false;
  for (const key of Object.keys(obj)) {
    const keyProblem = unstorableProblem(key, `the key ${JSON.stringify(key.slice(0, 40))} in ${path}`);
    if (keyProblem) return { error: keyProblem };
    if (topLevelNames) {
      const invisible = invisibleProblem(key, `the property name ${JSON.stringify(key.slice(0, 40))}`);
      if (invisible) return { error: invisible };
    }
    const r = inspectJson(obj[key], depth + 1, max, pathOf(path, key), false);
    if ('error' in r) return r;
    const nfc = key.normalize('NFC');
    if (nfc !== key || r.value !== obj[key]) changed = true;
    entries.push([nfc, r.value]);
  }
  if (!changed) return { value: obj };
  const seen = new Set<string>();
  for (const [k] of entries) {
    if (seen.has(k)) {
      return {
        error: `${path} has two keys that are the same text in different Unicode encodings (${JSON.stringify(k.slice(0, 40))}); keys are normalised to NFC, so send only one of them`,
      };
    }
    seen.add(k);
  }
  // fromEntries defines own properties: a "__proto__" key stays a key.
  return { value: Object.fromEntries(entries) };
}

/** The storage rules of properties (finite numbers, no NUL or lone surrogate, at most `maxDepth` levels, NFC keys) for another JSON object field. */
export function checkJsonObject(
  value: Record<string, unknown>,
  field: string,
  maxDepth: number,
): { value: Record<string, unknown> } | { error: string } {
  const r = inspectJson(value, 1, maxDepth, field, false);
  return 'error' in r ? r : { value: r.value as Record<string, unknown> };
}

/** `allowReserved`: the caller (a Segment mapping) generated the event type, so the product's reserved types are allowed. */
export function validateEvent(
  raw: unknown,
  index: number,
  nowMs: number,
  limits: ValidationLimits,
  opts: { allowReserved?: boolean } = {},
): EventCheck {
  if (!isPlainObject(raw)) return rejectEvent(index, `event must be a JSON object, got ${describeType(raw)}`);
  const unknown = Object.keys(raw).filter((k) => !EVENT_FIELDS.has(k));
  if (unknown.length > 0) {
    return rejectEvent(
      index,
      `unknown field ${JSON.stringify(unknown[0])}; allowed fields: event_type, project, timestamp, event_id, user_id, anonymous_id, session_id, properties (put custom data in properties)`,
    );
  }
  if (raw.event_type === undefined) return rejectEvent(index, 'event_type is required');
  const reserved =
    (opts.allowReserved === true && RESERVED_EVENT_TYPES.has(raw.event_type as string)) ||
    IDENTITY_EVENT_TYPES.has(raw.event_type as string);
  const typeProblem = reserved ? undefined : eventTypeProblem(raw.event_type);
  if (typeProblem) return rejectEvent(index, typeProblem);
  const eventType = normalizeName(raw.event_type as string);

  let project: string | null = null;
  if (raw.project !== undefined && raw.project !== null) {
    const problem = checkText(raw.project, 'project', 64);
    if (problem) return rejectEvent(index, problem);
    project = raw.project as string;
  }

  let timestampMs = nowMs;
  if (raw.timestamp !== undefined && raw.timestamp !== null) {
    const parsed = parseTimestamp(raw.timestamp);
    if ('error' in parsed) return rejectEvent(index, parsed.error);
    timestampMs = parsed.ms;
    if (timestampMs > nowMs + limits.maxFutureSkewMs)
      return rejectEvent(
        index,
        `timestamp is ${formatAge(timestampMs - nowMs)} in the future; check the sender's clock`,
      );
    if (timestampMs < nowMs - limits.retentionMs)
      return rejectEvent(
        index,
        `timestamp is ${formatAge(nowMs - timestampMs)} old, beyond the retention window of ${formatAge(limits.retentionMs)}`,
      );
  }

  let eventId: string;
  if (raw.event_id === undefined || raw.event_id === null) eventId = uuidv7(nowMs);
  else {
    const problem = checkText(raw.event_id, 'event_id', MAX_EVENT_ID);
    if (problem) return rejectEvent(index, problem);
    eventId = raw.event_id as string;
  }

  const optionalText = (
    field: 'user_id' | 'anonymous_id' | 'session_id',
  ): { value: string | null } | { error: string } => {
    const v = raw[field];
    if (v === undefined || v === null) return { value: null };
    const problem = checkText(v, field, MAX_USER_FIELD);
    return problem
      ? { error: typeof v === 'number' ? `${problem} (send "${v}", not ${v})` : problem }
      : { value: v as string };
  };
  const user = optionalText('user_id');
  if ('error' in user) return rejectEvent(index, user.error);
  const anonymous = optionalText('anonymous_id');
  if ('error' in anonymous) return rejectEvent(index, anonymous.error);
  const session = optionalText('session_id');
  if ('error' in session) return rejectEvent(index, session.error);

  let properties: Record<string, unknown> = {};
  if (raw.properties !== undefined && raw.properties !== null) {
    if (!isPlainObject(raw.properties))
      return rejectEvent(index, `properties must be a JSON object, got ${describeType(raw.properties)}`);
    // Depth first: inspectJson stops at the limit, while JSON.stringify would overflow the stack on deep nesting.
    const checked = inspectJson(raw.properties, 1, limits.maxPropertiesDepth, 'properties', true); // properties itself is level 1
    if ('error' in checked) return rejectEvent(index, checked.error);
    properties = checked.value as Record<string, unknown>;
    const size = Buffer.byteLength(JSON.stringify(properties), 'utf8');
    if (size > limits.maxPropertiesBytes)
      return rejectEvent(index, `properties are ${size} bytes serialized; the limit is ${limits.maxPropertiesBytes}`);
  }

  if (eventType === '$identify' && user.value === null && anonymous.value === null)
    return rejectEvent(index, '$identify needs user_id (or anonymous_id): the id whose person gets the traits');
  if (eventType === '$alias' && !opts.allowReserved) {
    if (user.value === null)
      return rejectEvent(
        index,
        '$alias needs user_id (the id to keep) and properties.previous_id (the id merged into it)',
      );
    const previous = properties.previous_id;
    const problem =
      previous === undefined || previous === null
        ? '$alias needs properties.previous_id: the id merged into user_id'
        : checkText(previous, 'properties.previous_id', MAX_USER_FIELD);
    if (problem) return rejectEvent(index, problem);
  }

  return ok({
    index,
    project,
    eventId,
    eventType,
    timestampMs,
    userId: user.value ?? anonymous.value,
    anonymousId: anonymous.value,
    sessionId: session.value,
    properties,
    context: null,
  });
}
