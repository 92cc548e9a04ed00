// Segment HTTP Tracking API (v1) messages mapped onto CustomerSignal events, and the spec's credentials. Pure.
import { credentialsFromHeaders } from './api-keys';
import { badRequest, unauthorized } from './errors';
import {
  checkJsonObject,
  isPlainObject,
  parseTimestamp,
  rejectEvent,
  validateEvent,
  type EventCheck,
  type ValidationLimits,
} from './event-validation';
import { ok, rejected, type Ok, type Reason, type Rejected } from './outcome';

export const SEGMENT_CALLS = ['track', 'identify', 'page', 'screen', 'group', 'alias'] as const;
export type SegmentCall = (typeof SEGMENT_CALLS)[number];
/** What a Segment endpoint receives: one call's message, or a batch of messages of any call. */
export type SegmentEndpoint = SegmentCall | 'batch';

/** The spec's size limits: a message of at most 32 KB, a request of at most 500 KB. */
export const SEGMENT_MAX_MESSAGE_BYTES = 32 * 1024;
export const SEGMENT_MAX_BATCH_BYTES = 500 * 1024;
/** How deep a context may nest (device.…, traits.address.city…); its size cap is configurable (MAX_CONTEXT_BYTES). */
export const SEGMENT_MAX_CONTEXT_DEPTH = 10;

/** The reserved event types of the calls that are not `track`. */
export const SEGMENT_EVENT_TYPES: Record<Exclude<SegmentCall, 'track'>, string> = {
  page: '$page',
  screen: '$screen',
  identify: '$identify',
  group: '$group',
  alias: '$alias',
};

export interface SegmentLimits extends ValidationLimits {
  maxContextBytes: number;
}

/** The messages of a body and its batch-level fields, or why the body itself is refused. */
export type SegmentBody = Ok<{ messages: unknown[]; batch: BatchLevel }> | Rejected<Reason>;

/** Fields a batch carries for all its messages. */
export interface BatchLevel {
  context: Record<string, unknown> | null;
  sentAt: unknown;
}

const describe = (v: unknown) =>
  v === null
    ? 'null'
    : v === undefined
      ? 'nothing'
      : Array.isArray(v)
        ? 'an array'
        : typeof v === 'object'
          ? 'an object'
          : `a ${typeof v}`;

/** Splits a parsed body into messages: /v1/batch takes {"batch": [...]}, the others one message. */
export function readSegmentBody(body: unknown, endpoint: SegmentEndpoint, maxMessages: number): SegmentBody {
  if (!isPlainObject(body)) {
    const want = endpoint === 'batch' ? '{"batch": [message, ...]}' : `one ${endpoint} message object`;
    return rejected({
      code: 'invalid_body',
      message: `The body must be a JSON object: ${want}; got ${describe(body)}.`,
    });
  }
  if (endpoint !== 'batch') return ok({ messages: [body], batch: { context: null, sentAt: undefined } });
  if (!Array.isArray(body.batch))
    return rejected({
      code: 'invalid_body',
      message: `"batch" must be an array of messages; got ${describe(body.batch)}.`,
    });
  if (body.batch.length === 0)
    return rejected({ code: 'invalid_body', message: `"batch" is empty; send between 1 and ${maxMessages} messages.` });
  if (body.batch.length > maxMessages) {
    return rejected({
      code: 'too_many_events',
      message: `A batch holds at most ${maxMessages} messages; this one has ${body.batch.length}. Send smaller batches (flushAt).`,
    });
  }
  if (body.context !== undefined && body.context !== null && !isPlainObject(body.context)) {
    return rejected({
      code: 'invalid_body',
      message: `The batch's "context" must be a JSON object; got ${describe(body.context)}.`,
    });
  }
  const context = isPlainObject(body.context) ? body.context : null;
  return ok({ messages: body.batch, batch: { context, sentAt: body.sentAt } });
}

/** Segment ids are strings; some clients send numbers, which Segment takes as their decimal text. */
function idText(v: unknown): unknown {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (v === '' || v === null) return undefined;
  return v;
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/**
 * The event time of the spec: `timestamp` when given, as sent; else `originalTimestamp` corrected for the
 * sender's clock skew, receivedAt - (sentAt - originalTimestamp) (sentAt of the message, else of the batch);
 * else the receive time.
 */
export function segmentTimestamp(
  message: Record<string, unknown>,
  batchSentAt: unknown,
  receivedAtMs: number,
): { ms: number } | { error: string } {
  const parse = (field: string, v: unknown): { ms: number } | { error: string } => {
    const r = parseTimestamp(v);
    return 'error' in r ? { error: r.error.replace(/^timestamp/, field) } : r;
  };
  if (present(message.timestamp)) return parse('timestamp', message.timestamp);
  if (!present(message.originalTimestamp)) return { ms: receivedAtMs };
  const original = parse('originalTimestamp', message.originalTimestamp);
  if ('error' in original) return original;
  const rawSentAt = present(message.sentAt) ? message.sentAt : batchSentAt;
  if (!present(rawSentAt)) return original;
  const sentAt = parse('sentAt', rawSentAt);
  if ('error' in sentAt) return sentAt;
  return { ms: receivedAtMs - (sentAt.ms - original.ms) };
}

function objectField(message: Record<string, unknown>, field: string): Record<string, unknown> | string {
  const v = message[field];
  if (!present(v)) return {};
  return isPlainObject(v) ? v : `${field} must be a JSON object, got ${describe(v)}`;
}

/** Our validator names our fields; a Segment sender knows them by the spec's names. */
function inSegmentTerms(message: string, call: SegmentCall): string {
  return (call === 'identify' || call === 'group' ? message.replace(/\bproperties\b/g, 'traits') : message)
    .replace(/\bevent_type\b/g, call === 'track' ? 'event' : 'type')
    .replace(/\bevent_id\b/g, 'messageId')
    .replace(/\banonymous_id\b/g, 'anonymousId')
    .replace(/\buser_id\b/g, 'userId (or anonymousId)');
}

/**
 * One Segment message as a CustomerSignal event (see the mapping table in docs/api.md#segment-compatible-ingest):
 * track.event → event_type, the other calls → `$page`, `$screen`, `$identify`, `$group`, `$alias`;
 * userId (else anonymousId) → user_id; anonymousId → anonymous_id; messageId → event_id; properties (page/screen: plus name and category;
 * identify: traits; group: traits plus groupId; alias: previousId) → properties; context (the batch's merged
 * under the message's, plus anonymousId when a userId is the user) → context.
 */
export function mapSegmentMessage(
  raw: unknown,
  index: number,
  endpoint: SegmentEndpoint,
  batch: BatchLevel,
  receivedAtMs: number,
  limits: SegmentLimits,
): EventCheck {
  if (!isPlainObject(raw)) return rejectEvent(index, `a message must be a JSON object, got ${describe(raw)}`);
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(raw), 'utf8');
  } catch {
    // JSON.stringify recurses: a message nested tens of thousands of levels deep overflows the stack.
    return rejectEvent(
      index,
      'the message is nested too deeply to be stored; keep JSON objects a few levels deep',
      'invalid_event',
    );
  }
  if (size > SEGMENT_MAX_MESSAGE_BYTES) {
    return rejectEvent(
      index,
      `the message is ${size} bytes serialized; the Segment limit is ${SEGMENT_MAX_MESSAGE_BYTES} (32 KB) per message`,
      'message_too_large',
    );
  }

  let call: SegmentCall;
  if (endpoint === 'batch') {
    if (typeof raw.type !== 'string' || !(SEGMENT_CALLS as readonly string[]).includes(raw.type)) {
      return rejectEvent(
        index,
        `type must be one of ${SEGMENT_CALLS.join(', ')}; got ${typeof raw.type === 'string' ? JSON.stringify(raw.type.slice(0, 40)) : describe(raw.type)}`,
      );
    }
    call = raw.type as SegmentCall;
  } else {
    if (present(raw.type) && raw.type !== endpoint) {
      return rejectEvent(
        index,
        `type ${JSON.stringify(String(raw.type).slice(0, 40))} does not match the endpoint /v1/${endpoint}; send it to /v1/batch or drop "type"`,
      );
    }
    call = endpoint;
  }

  const userId = idText(raw.userId);
  const anonymousId = idText(raw.anonymousId);
  if (call === 'alias') {
    if (userId === undefined || idText(raw.previousId) === undefined)
      return rejectEvent(index, 'alias needs userId (the new id) and previousId (the old one)');
  } else if (userId === undefined && anonymousId === undefined) {
    return rejectEvent(index, `${call} needs a userId or an anonymousId`);
  }
  if (anonymousId !== undefined && typeof anonymousId !== 'string')
    return rejectEvent(index, `anonymousId must be a string, got ${describe(anonymousId)}`);

  let eventType: unknown;
  let properties: Record<string, unknown>;
  const props = objectField(raw, 'properties');
  const traits = objectField(raw, 'traits');
  switch (call) {
    case 'track':
      if (!present(raw.event))
        return rejectEvent(index, 'track needs "event": the name of the action, e.g. "Order Completed"');
      if (typeof props === 'string') return rejectEvent(index, props);
      eventType = raw.event;
      properties = props;
      break;
    case 'page':
    case 'screen':
      if (typeof props === 'string') return rejectEvent(index, props);
      eventType = SEGMENT_EVENT_TYPES[call];
      properties = {
        ...props,
        ...(present(raw.name) ? { name: raw.name } : {}),
        ...(present(raw.category) ? { category: raw.category } : {}),
      };
      break;
    case 'identify':
      if (typeof traits === 'string') return rejectEvent(index, traits);
      eventType = SEGMENT_EVENT_TYPES.identify;
      properties = traits;
      break;
    case 'group': {
      if (typeof traits === 'string') return rejectEvent(index, traits);
      const groupId = idText(raw.groupId);
      if (groupId === undefined)
        return rejectEvent(index, 'group needs "groupId": the id of the account, company or team');
      eventType = SEGMENT_EVENT_TYPES.group;
      properties = { ...traits, groupId };
      break;
    }
    case 'alias':
      eventType = SEGMENT_EVENT_TYPES.alias;
      properties = { previousId: idText(raw.previousId) };
      break;
  }

  if (present(raw.context) && !isPlainObject(raw.context))
    return rejectEvent(index, `context must be a JSON object, got ${describe(raw.context)}`);
  const merged: Record<string, unknown> = {
    ...(batch.context ?? {}),
    ...(isPlainObject(raw.context) ? raw.context : {}),
  };
  if (userId !== undefined && anonymousId !== undefined) merged.anonymousId = anonymousId;
  let context = Object.keys(merged).length > 0 ? merged : null;
  if (context) {
    // Depth first (bounded recursion), then the serialized size (JSON.stringify would overflow on deep nesting).
    const checked = checkJsonObject(context, 'context', SEGMENT_MAX_CONTEXT_DEPTH);
    if ('error' in checked) return rejectEvent(index, checked.error);
    context = checked.value;
    const contextBytes = Buffer.byteLength(JSON.stringify(context), 'utf8');
    if (contextBytes > limits.maxContextBytes)
      return rejectEvent(
        index,
        `context is ${contextBytes} bytes serialized; the limit is ${limits.maxContextBytes} (MAX_CONTEXT_BYTES)`,
      );
  }

  const time = segmentTimestamp(raw, batch.sentAt, receivedAtMs);
  if ('error' in time) return rejectEvent(index, time.error);
  // Checked here so that a time near the epoch is not mistaken for epoch seconds by the validator below.
  if (time.ms < receivedAtMs - limits.retentionMs) {
    const days = Math.round((receivedAtMs - time.ms) / 86_400_000);
    return rejectEvent(
      index,
      `the event time is ${days} d old, beyond the retention window of ${Math.round(limits.retentionMs / 86_400_000)} d; check timestamp, originalTimestamp and sentAt`,
    );
  }

  const event = {
    event_type: eventType,
    timestamp: time.ms,
    ...(present(raw.messageId) ? { event_id: idText(raw.messageId) } : {}),
    ...(userId !== undefined ? { user_id: userId } : {}),
    ...(anonymousId !== undefined ? { anonymous_id: anonymousId } : {}),
    properties,
  };
  const check = validateEvent(event, index, receivedAtMs, limits, { allowReserved: call !== 'track' });
  if (check.kind !== 'ok') return rejectEvent(index, inSegmentTerms(check.reason.message, call), check.reason.code);
  return ok({ ...check.value, context });
}

/**
 * The write key, from wherever the spec's clients put it: HTTP Basic (write key as user name, empty password),
 * "writeKey" in the body (browsers, which avoid a CORS preflight), or our own Bearer / X-Api-Key headers.
 * Several places naming different keys: 400 ambiguous_credentials.
 */
export function segmentCredentials(headers: Record<string, string | undefined>, bodyWriteKey: unknown): string {
  const found: string[] = [];
  const auth = headers['authorization']?.trim();
  const basic = auth ? /^Basic\s+(\S+)$/i.exec(auth) : null;
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = (colon < 0 ? decoded : decoded.slice(0, colon)).trim();
    const password = colon < 0 ? '' : decoded.slice(colon + 1).trim();
    const key = user || password;
    if (!key)
      throw unauthorized(
        'HTTP Basic credentials must carry the write key as the user name: "Authorization: Basic base64(<write key>:)".',
      );
    found.push(key);
    const apiKey = headers['x-api-key']?.trim();
    if (apiKey) found.push(apiKey);
  } else if (auth || headers['x-api-key']?.trim()) {
    found.push(credentialsFromHeaders(headers));
  }
  if (typeof bodyWriteKey === 'string' && bodyWriteKey.trim() !== '') found.push(bodyWriteKey.trim());
  if (found.length === 0) {
    throw unauthorized(
      'Send your write key (a CustomerSignal ingest key bound to a project) as the HTTP Basic user name, as "writeKey" in the body, or as "Authorization: Bearer <key>".',
    );
  }
  if (new Set(found).size > 1) {
    throw badRequest(
      'ambiguous_credentials',
      'The request carries different keys (Basic auth, writeKey in the body, Bearer or X-Api-Key); send one key.',
    );
  }
  return found[0]!;
}
