// GET /v1/events/export (docs/api.md#export): the snapshot, the signed cursor and the paging rules of an export, and
// the port its store implements (adapters/postgres/event-export-store.ts). Pure.
//
// Snapshot (docs/architecture.md#event-export): the first page fixes a cutoff T under the tenant's exclusive rollup
// lock, so every event with stored_at <= T is committed and every later one gets stored_at > T; every page reads
// `stored_at <= T`, ordered by (ts, event_id), after the cursor's position. Each event of the range stored by T is
// therefore listed exactly once across the pages, whatever arrives meanwhile.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { badRequest } from './errors';
import { isCursorTime } from './cursor';
import { unstorableChar } from './event-validation';
import { csvText } from './csv';

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Rows per page: `limit` (default and maximum). */
export const EXPORT_DEFAULT_LIMIT = 10_000;
export const EXPORT_MAX_LIMIT = 10_000;
/**
 * Bytes per page, counted as Lambda's JSON response envelope counts the body (UTF-8 with JSON string escaping): well
 * under the 6 MB a Lambda behind API Gateway may answer, with room for headers. A single event always fits.
 */
export const EXPORT_MAX_PAGE_BYTES = 4_000_000;
/** Rows read per query: bounds memory (a chunk of events near the size limit is a few MB). */
export const EXPORT_CHUNK_ROWS = 500;
/** How long one page may scan for property-filtered matches before it answers what it found (with a cursor). */
export const EXPORT_SCAN_BUDGET_MS = 5_000;
/** A cursor longer than this is not one the API issued. */
const MAX_CURSOR_CHARS = 64 * 1024;

/** The columns of both formats, in this order: the fields of a GET /v1/events item. */
export const EXPORT_COLUMNS = [
  'event_id',
  'event_type',
  'project',
  'timestamp',
  'received_at',
  'user_id',
  'session_id',
  'properties',
  'context',
  'anonymous_id',
] as const;

/** What selects an export's events and shapes its pages: fixed by the first page, carried by every cursor. */
export interface ExportParams {
  fromMs: number;
  toMs: number;
  /** The requested project slug (null: every project the key may read). */
  project: string | null;
  /** NFC, distinct, sorted; empty: every type. */
  eventTypes: string[];
  userId: string | null;
  sessionId: string | null;
  /** prop.<path>=<value> filters, sorted. */
  props: [string[], string][];
  format: ExportFormat;
  limit: number;
}

/** A keyset position: after (ts, eventId). `eventId: ''` means "from ts on" ('' sorts before every id). */
export interface ExportPosition {
  /** ISO-8601 UTC with microseconds, as Postgres stores ts. */
  ts: string;
  eventId: string;
}

export interface ExportCursor {
  /** The snapshot: only events with stored_at <= cutoff (ISO, microseconds). */
  cutoff: string;
  after: ExportPosition;
  /** Rows exported by the pages before. */
  done: number;
  params: ExportParams;
}

/** One stored event as the export writes it; JSON texts as Postgres writes jsonb (numbers kept exactly). */
export interface ExportRow {
  eventId: string;
  eventType: string;
  project: string;
  /** ts with microseconds: the keyset position. */
  tsText: string;
  /** ts as GET /v1/events writes it (ISO, milliseconds). */
  timestamp: string;
  receivedAt: string;
  userId: string | null;
  sessionId: string | null;
  propertiesJson: string;
  contextJson: string | null;
  /** The anonymous id the event carried (docs/api.md#people); absent or null when none. */
  anonymousId?: string | null;
}

export interface ExportQuery {
  tenantId: string;
  /** null: every project of the tenant. */
  projectIds: string[] | null;
  eventTypes: string[];
  userId: string | null;
  sessionId: string | null;
  props: [string[], string][];
  cutoff: string;
  /** ts >= fromMs and ts < untilMs, and (ts, event_id) > after. */
  fromMs: number;
  untilMs: number;
  after: ExportPosition | null;
  limit: number;
}

/** The port of exports (docs/architecture.md#event-export). */
export interface EventExportStore {
  /**
   * A new snapshot of the tenant: takes its rollup lock exclusively for an instant (waiting for the batches in
   * flight), reads T = clock_timestamp() under it and lets the clock pass T before releasing.
   */
  cutoff(tenantId: string): Promise<string>;
  /** Up to `q.limit` rows of `q`, ordered by (ts, event_id). */
  read(q: ExportQuery): Promise<ExportRow[]>;
  /** The key cursors are signed with (one per deployment). */
  cursorKey(): Promise<Buffer>;
}

// ── cursor ──

const invalidCursor = () =>
  badRequest(
    'invalid_cursor',
    'cursor is not one this API returned for this tenant; pass the X-Next-Cursor of the previous page unchanged, or start the export again without cursor.',
  );

function mac(key: Buffer, tenantId: string, payload: string): Buffer {
  // The tenant is part of what is signed: another tenant's cursor fails the check.
  return createHmac('sha256', key).update(`export.v1\n${tenantId}\n${payload}`, 'utf8').digest();
}

export function encodeExportCursor(c: ExportCursor, key: Buffer, tenantId: string): string {
  const p = c.params;
  const payload = Buffer.from(
    JSON.stringify([
      1,
      c.cutoff,
      c.after.ts,
      c.after.eventId,
      c.done,
      p.fromMs,
      p.toMs,
      p.project,
      p.eventTypes,
      p.userId,
      p.sessionId,
      p.props,
      p.format,
      p.limit,
    ]),
    'utf8',
  ).toString('base64url');
  return `${payload}.${mac(key, tenantId, payload).toString('base64url')}`;
}

const isText = (v: unknown, max = 10_000): v is string =>
  typeof v === 'string' && v.length <= max && unstorableChar(v) === undefined;
const isTextOrNull = (v: unknown): v is string | null => v === null || isText(v);
const isMs = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= FIRST_MS && v <= LAST_MS + 1;

/** Years 0001 to 9999, as query-string times (docs/api.md#times-in-query-strings). */
const FIRST_MS = -62_135_596_800_000;
const LAST_MS = 253_402_300_799_999;

/** The cursor's content, once its signature for this tenant holds; any other text is 400 invalid_cursor. */
export function decodeExportCursor(raw: string, key: Buffer, tenantId: string): ExportCursor {
  if (raw.length > MAX_CURSOR_CHARS) throw invalidCursor();
  const dot = raw.lastIndexOf('.');
  if (dot <= 0) throw invalidCursor();
  const payload = raw.slice(0, dot);
  const given = raw.slice(dot + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || !/^[A-Za-z0-9_-]{43}$/.test(given)) throw invalidCursor();
  // Compared as text, in constant time: the 43rd character of the signature carries 2 unused bits, so comparing the
  // decoded bytes would let 4 different cursor texts through for one signature.
  const expected = Buffer.from(mac(key, tenantId, payload).toString('base64url'));
  const sent = Buffer.from(given);
  if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) throw invalidCursor();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  // Signed by this deployment, so well formed; checked anyway, so a defect or a leaked key cannot reach the database
  // with values it cannot compare.
  if (!Array.isArray(parsed) || parsed.length !== 14 || parsed[0] !== 1) throw invalidCursor();
  const [, cutoff, ts, eventId, done, fromMs, toMs, project, eventTypes, userId, sessionId, props, format, limit] =
    parsed as unknown[];
  const ok =
    typeof cutoff === 'string' &&
    isCursorTime(cutoff) &&
    typeof ts === 'string' &&
    isCursorTime(ts) &&
    isText(eventId, 512) &&
    typeof done === 'number' &&
    Number.isSafeInteger(done) &&
    done >= 0 &&
    isMs(fromMs) &&
    isMs(toMs) &&
    fromMs < toMs &&
    isTextOrNull(project) &&
    Array.isArray(eventTypes) &&
    eventTypes.every((t) => isText(t)) &&
    isTextOrNull(userId) &&
    isTextOrNull(sessionId) &&
    Array.isArray(props) &&
    props.every(
      (f) =>
        Array.isArray(f) &&
        f.length === 2 &&
        Array.isArray(f[0]) &&
        (f[0] as unknown[]).every((s) => isText(s)) &&
        isText(f[1]),
    ) &&
    typeof format === 'string' &&
    (EXPORT_FORMATS as readonly string[]).includes(format) &&
    typeof limit === 'number' &&
    Number.isInteger(limit) &&
    limit >= 1 &&
    limit <= EXPORT_MAX_LIMIT;
  if (!ok) throw invalidCursor();
  return {
    cutoff,
    after: { ts, eventId },
    done,
    params: {
      fromMs,
      toMs,
      project,
      eventTypes: eventTypes as string[],
      userId,
      sessionId,
      props: props as [string[], string][],
      format: format as ExportFormat,
      limit,
    },
  };
}

/** Params in one canonical form (what a cursor carries): types distinct and sorted, filters sorted. */
export function canonicalParams(p: ExportParams): ExportParams {
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    ...p,
    eventTypes: [...new Set(p.eventTypes)].sort(byText),
    props: [...new Map(p.props.map((f) => [JSON.stringify(f), f])).entries()]
      .sort(([a], [b]) => byText(a, b))
      .map(([, f]) => f),
  };
}

export const cursorParamsDiffer = () =>
  badRequest(
    'invalid_cursor',
    'cursor belongs to an export with other parameters; send the cursor alone (as the Link header does), or with exactly the parameters of the first page.',
  );

/**
 * The export a request continues: a new one from its parameters, or the cursor's. With a cursor the request may repeat
 * the parameters (as the Link header does) but not change them: a resumed export keeps its snapshot and its filters.
 */
export function resumeOrStart(
  requested: ExportParams | null,
  cursor: ExportCursor | null,
): { params: ExportParams; cursor: ExportCursor | null } {
  if (cursor === null) {
    if (requested === null)
      throw badRequest('invalid_parameter', 'from and to are required; give the range to export as [from, to).');
    return { params: canonicalParams(requested), cursor: null };
  }
  if (requested !== null && JSON.stringify(canonicalParams(requested)) !== JSON.stringify(cursor.params))
    throw cursorParamsDiffer();
  return { params: cursor.params, cursor };
}

// ── formats ──

const J = JSON.stringify;

/** One event as an NDJSON line: the fields of a GET /v1/events item, in EXPORT_COLUMNS order. */
export function ndjsonLine(r: ExportRow): string {
  return (
    `{"event_id":${J(r.eventId)},"event_type":${J(r.eventType)},"project":${J(r.project)},` +
    `"timestamp":${J(r.timestamp)},"received_at":${J(r.receivedAt)},"user_id":${J(r.userId)},` +
    `"session_id":${J(r.sessionId)},"properties":${r.propertiesJson},"context":${r.contextJson ?? 'null'},` +
    `"anonymous_id":${J(r.anonymousId ?? null)}}\n`
  );
}

/**
 * One event as a CSV record (core/csv.ts: RFC 4180, CRLF). null user_id, session_id, context and anonymous_id are empty cells
 * (ingest refuses empty strings there, so an empty cell always means null); properties and context are JSON text.
 * Cells are the stored values exactly, with no formula escaping (docs/api.md#export).
 */
export function csvRecord(r: ExportRow): string {
  return csvText([
    [
      r.eventId,
      r.eventType,
      r.project,
      r.timestamp,
      r.receivedAt,
      r.userId ?? '',
      r.sessionId ?? '',
      r.propertiesJson,
      r.contextJson ?? '',
      r.anonymousId ?? '',
    ],
  ]);
}

export const CSV_HEADER = csvText([[...EXPORT_COLUMNS]]);

/** What a text adds to a Lambda response: its UTF-8 bytes with JSON string escaping. */
export function envelopeBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;
}

// ── paging ──

export interface ExportPage {
  body: string;
  rows: number;
  cutoff: string;
  /** Where the export stands after this page (ISO): the last row's ts, or how far the scan got; `to` when complete. */
  position: string;
  /** Share of [from, to) done by time, 0..1; 1 exactly when complete. */
  fraction: number;
  /** Rows exported so far, this page included. */
  done: number;
  /** The next page's cursor; null when the export is complete. */
  next: string | null;
}

export interface ExportContext {
  tenantId: string;
  projectIds: string[] | null;
  store: EventExportStore;
  /** Milliseconds, for the scan budget. */
  now: () => number;
}

const HOUR = 3_600_000;

const isoOfMs = (ms: number): string => new Date(ms).toISOString();

/**
 * One page: rows after the position, until `limit` rows, EXPORT_MAX_PAGE_BYTES or the end of the range. With property
 * filters or several event types the range is scanned in windows growing 4× while they come back short, and the page
 * answers what it found once EXPORT_SCAN_BUDGET_MS has passed, with a cursor past the windows scanned.
 */
export async function exportPage(
  ctx: ExportContext,
  params: ExportParams,
  cursor: ExportCursor | null,
): Promise<ExportPage> {
  const key = await ctx.store.cursorKey();
  const cutoff = cursor?.cutoff ?? (await ctx.store.cutoff(ctx.tenantId));
  const started = ctx.now();
  let after: ExportPosition | null = cursor?.after ?? null;
  const head = params.format === 'csv' ? CSV_HEADER : '';
  const parts: string[] = [head];
  let bytes = envelopeBytes(head);
  let rows = 0;
  let complete = false;
  // Property filters (no index) and several event types (no index in (ts, event_id) order: each read would sort every
  // remaining match) read windows of the range; one type, a user, or none, walk an index in order.
  // A session without a user has no index either: a sparse one would walk the whole range in one read.
  const windowed =
    params.props.length > 0 || params.eventTypes.length > 1 || (params.sessionId !== null && params.userId === null);
  let windowMs = windowed ? HOUR : Infinity;
  page: for (;;) {
    const lo = after ? Date.parse(after.ts) : params.fromMs;
    const untilMs = Math.min(params.toMs, lo + windowMs);
    const want = Math.min(EXPORT_CHUNK_ROWS, params.limit - rows);
    const chunk = await ctx.store.read({
      tenantId: ctx.tenantId,
      projectIds: ctx.projectIds,
      eventTypes: params.eventTypes,
      userId: params.userId,
      sessionId: params.sessionId,
      props: params.props,
      cutoff,
      fromMs: params.fromMs,
      untilMs,
      after,
      limit: want,
    });
    for (const r of chunk) {
      const text = params.format === 'csv' ? csvRecord(r) : ndjsonLine(r);
      const size = envelopeBytes(text);
      if (rows > 0 && bytes + size > EXPORT_MAX_PAGE_BYTES) break page;
      parts.push(text);
      bytes += size;
      rows += 1;
      after = { ts: r.tsText, eventId: r.eventId };
    }
    if (chunk.length < want) {
      // This window is done: the range too, or go on from its end with a wider one.
      if (untilMs >= params.toMs) {
        complete = true;
        break;
      }
      after = { ts: isoOfMs(untilMs), eventId: '' };
      windowMs *= 4;
    }
    if (rows >= params.limit) break;
    if (windowed && ctx.now() - started >= EXPORT_SCAN_BUDGET_MS) break;
  }
  const done = (cursor?.done ?? 0) + rows;
  if (complete) {
    return { body: parts.join(''), rows, cutoff, position: isoOfMs(params.toMs), fraction: 1, done, next: null };
  }
  const position = after!; // a page that is not complete has read or scanned something
  const span = params.toMs - params.fromMs;
  const fraction = Math.min(
    0.9999,
    Math.max(0, Math.floor(((Date.parse(position.ts) - params.fromMs) / span) * 1e4) / 1e4),
  );
  return {
    body: parts.join(''),
    rows,
    cutoff,
    position: position.ts,
    fraction,
    done,
    next: encodeExportCursor({ cutoff, after: position, done, params }, key, ctx.tenantId),
  };
}
