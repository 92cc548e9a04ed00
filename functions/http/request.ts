// Reading API Gateway v2 requests: query strings (repeatable keys), JSON bodies, headers.
import { gunzipSync } from 'node:zlib';
import type { HttpEvent } from './middleware';
import { badRequest, tooLarge as tooLargeError } from '../../core/errors';
import { HttpError } from './errors';
import { findDuplicateKey } from '../../core/json-duplicates';
import type { Principal } from '../../core/api-keys';

export function queryParams(event: HttpEvent): URLSearchParams {
  // rawQueryString keeps repeated keys apart; queryStringParameters joins them with commas.
  const raw = event.rawQueryString ?? '';
  checkQueryString(raw);
  return new URLSearchParams(raw);
}

/**
 * URLSearchParams decodes leniently (a stray `%` stays, bytes that are not UTF-8 become U+FFFD), so a mistyped
 * value would silently match nothing; and Postgres text cannot hold U+0000. Both get a 400 that names the parameter.
 */
function checkQueryString(raw: string): void {
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const pieces = eq < 0 ? [part] : [part.slice(0, eq), part.slice(eq + 1)];
    const decoded = pieces.map((piece) => {
      try {
        return decodeURIComponent(piece.replace(/\+/g, ' '));
      } catch {
        const name = JSON.stringify(pieces[0]!.slice(0, 60));
        throw badRequest(
          'invalid_parameter',
          `The query parameter ${name} is not valid percent-encoded UTF-8; encode "%" as %25 and other bytes as UTF-8 (e.g. with encodeURIComponent).`,
        );
      }
    });
    if (decoded.some((d) => d.includes('\u0000'))) {
      throw badRequest(
        'invalid_parameter',
        `The query parameter ${JSON.stringify(decoded[0]!.replaceAll('\u0000', '\\0').slice(0, 60))} contains U+0000 (NUL, %00), which no name or value can hold; remove it.`,
      );
    }
  }
}

/** A parameter that may appear at most once: a repeat is refused rather than silently dropped. */
export function singleParam(params: URLSearchParams, name: string): string | null {
  const all = params.getAll(name);
  if (all.length > 1) throw badRequest('invalid_parameter', `${name} appears ${all.length} times; give it once.`);
  return all[0] ?? null;
}

export function header(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
}

export function lowerCaseHeaders(event: HttpEvent): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

export function bodyBytes(event: HttpEvent): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

const tooLarge = (maxBytes: number, what: string) =>
  tooLargeError(`The ${what} is larger than ${maxBytes} bytes; send fewer events per request.`);

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body as text: a plain text body is used as it came (the gateway already decoded it once); a base64
 * body is decoded, and Content-Encoding: gzip is inflated with the same size limit as the body itself.
 */
function bodyText(event: HttpEvent, maxBytes: number, sniffGzip = false): string {
  let encoding = (header(event, 'content-encoding') ?? 'identity').trim().toLowerCase();
  // Some clients compress without saying so: gzip's magic bytes are never the start of JSON text.
  if (sniffGzip && event.isBase64Encoded && (encoding === 'identity' || encoding === '')) {
    const head = Buffer.from((event.body ?? '').slice(0, 4), 'base64');
    if (head[0] === 0x1f && head[1] === 0x8b) encoding = 'gzip';
  }
  if (encoding !== 'identity' && encoding !== '' && encoding !== 'gzip') {
    throw new HttpError(
      415,
      'unsupported_content_encoding',
      `Content-Encoding "${encoding}" is not supported; send gzip or no encoding.`,
    );
  }
  if (!event.isBase64Encoded && encoding !== 'gzip') {
    const text = event.body ?? '';
    // Cheap bound first: a UTF-8 byte length is at least the string length and at most three times it.
    if (text.length > maxBytes || (text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes))
      throw tooLarge(maxBytes, 'body');
    return text;
  }
  let raw = bodyBytes(event);
  if (raw.length > maxBytes) throw tooLarge(maxBytes, 'body');
  if (encoding === 'gzip') {
    try {
      // maxOutputLength stops inflating as soon as the limit is passed: a gzip bomb costs nothing.
      raw = gunzipSync(raw, { maxOutputLength: maxBytes });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(maxBytes, 'decompressed body');
      throw badRequest(
        'invalid_body',
        'The body is not valid gzip data; compress it with gzip or drop the Content-Encoding header.',
      );
    }
  }
  try {
    return utf8.decode(raw);
  } catch {
    throw badRequest('invalid_json', 'The body is not valid UTF-8; send JSON encoded as UTF-8.');
  }
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";,\s]*)"?/i;
const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

/**
 * Parses a JSON body after checking its content type, charset, encoding and size. `anyLabel` (the Segment
 * endpoints): the spec's clients label JSON as text/plain (browsers, to avoid a CORS preflight), as something
 * else, or not at all, and some gzip it: a body that is JSON is taken whatever its Content-Type, and a body
 * without Content-Encoding that starts with gzip's magic bytes is inflated; a body that is not JSON under a
 * non-JSON label is still 415.
 */
export function jsonBody(event: HttpEvent, maxBytes: number, opts: { anyLabel?: boolean } = {}): unknown {
  const type = header(event, 'content-type') ?? '';
  const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
  if (charset !== undefined && !UTF8_CHARSETS.has(charset)) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `charset=${charset.slice(0, 40)} is not supported; send the JSON encoded as UTF-8 ("Content-Type: application/json; charset=utf-8", or no charset).`,
    );
  }
  const labelledJson = JSON_TYPE.test(type) || (opts.anyLabel === true && /^text\/plain\s*(?:;|$)/i.test(type));
  if (!labelledJson && !opts.anyLabel) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the body as JSON with "Content-Type: application/json".');
  }
  // A UTF-8 byte order mark is not part of the JSON text (RFC 8259 lets a parser ignore it).
  const text = bodyText(event, maxBytes, opts.anyLabel === true).replace(/^\uFEFF/, '');
  if (text.length === 0) throw badRequest('invalid_json', 'The body is empty; send a JSON event object.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    if (!labelledJson) {
      throw new HttpError(
        415,
        'unsupported_media_type',
        `The body is not JSON${type ? ` (Content-Type: ${type.slice(0, 60)})` : ''}; send a JSON body, labelled "Content-Type: application/json".`,
      );
    }
    throw badRequest('invalid_json', `The body is not valid JSON: ${(e as Error).message}`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    throw badRequest(
      'invalid_json',
      `The body repeats the key ${JSON.stringify(duplicate.slice(0, 100))} inside one object; send each key once.`,
    );
  }
  return parsed;
}

/** Query times lie in years 0001 to 9999 (what ISO-8601 writes with four digits; Postgres holds all of them). */
const FIRST_MS = -62_135_596_800_000; // 0001-01-01T00:00:00Z
const LAST_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

/** A time parameter: ISO-8601 or epoch milliseconds, within years 0001 to 9999. */
export function timeParam(params: URLSearchParams, name: string): number | undefined {
  const v = singleParam(params, name);
  if (v === null || v === '') return undefined;
  const outOfRange = () =>
    badRequest(
      'invalid_parameter',
      `${name} is out of range; give a time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z (epoch milliseconds ${FIRST_MS} to ${LAST_MS}).`,
    );
  if (/^-?\d+$/.test(v)) {
    // Out of range: a client mistake, not something to hand to the database.
    const ms = Number(v);
    if (!(ms >= FIRST_MS && ms <= LAST_MS)) throw outOfRange();
    return ms;
  }
  const ms = Date.parse(v);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(v))
    throw badRequest(
      'invalid_parameter',
      `${name} must be an ISO-8601 time (e.g. 2026-11-27T10:00:00Z) or epoch milliseconds.`,
    );
  if (!(ms >= FIRST_MS && ms <= LAST_MS)) throw outOfRange();
  return ms;
}

/** prop.<path>=<value> filters, dotted paths for nested properties. */
export function propertyFilters(params: URLSearchParams): [string[], string][] {
  const out: [string[], string][] = [];
  for (const [k, v] of params) {
    if (!k.startsWith('prop.')) continue;
    const path = k.slice(5).normalize('NFC').split('.'); // ingest stores names and keys in NFC
    if (path.some((p) => p.length === 0) || path.length > 6)
      throw badRequest('invalid_parameter', `${k} is not a valid property path; use prop.<name> or prop.<a>.<b>.`);
    out.push([path, v]);
  }
  return out;
}

export function pathParam(event: HttpEvent, name: string): string {
  const v = event.pathParameters?.[name];
  if (v === undefined || v === '') throw badRequest('invalid_parameter', `The path is missing {${name}}.`);
  return v;
}

/**
 * A request as a route sees it: each accessor reads (and checks) its part when the route asks for it, so a route's
 * errors come in the order it reads its input. `principal` is set by the HTTP edge on routes that need a key.
 */
export class HttpRequest {
  constructor(readonly event: HttpEvent) {}

  /** The query string, repeatable keys kept apart (see queryParams). */
  query(): URLSearchParams {
    return queryParams(this.event);
  }

  /** A `{name}` segment of the route's path. */
  param(name: string): string {
    return pathParam(this.event, name);
  }

  /** The JSON body, its type, charset, encoding and size checked (see jsonBody). */
  body(maxBytes: number, opts: { anyLabel?: boolean } = {}): unknown {
    return jsonBody(this.event, maxBytes, opts);
  }

  /** Size of the body as it arrived (before any gzip inflation). */
  bodyLength(): number {
    return bodyBytes(this.event).length;
  }

  /** The headers with lower-case names. */
  headers(): Record<string, string | undefined> {
    return lowerCaseHeaders(this.event);
  }
}

/** A request whose key the HTTP edge resolved and checked against the route's scope. */
export type AuthenticatedRequest = HttpRequest & { readonly principal: Principal };
