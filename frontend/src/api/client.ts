// The one way the dashboard talks HTTP: bearer key or session cookie (with the CSRF header), query strings, the error
// envelope.
import { ShapeError } from './shape';

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];
export type QueryParams = Readonly<Record<string, QueryValue>>;

/** An HTTP failure, an unreachable API, or a body the dashboard cannot read. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** The envelope's snake_case code, or one of ours: network_error, invalid_response, http_<status>. */
  readonly code: string;
  readonly requestId: string | null;
  readonly details: readonly unknown[];

  constructor(
    init: { status: number; code: string; message: string; requestId?: string | null; details?: readonly unknown[] },
    options?: { cause?: unknown },
  ) {
    super(init.message, options);
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId ?? null;
    this.details = init.details ?? [];
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

export interface GetOptions<T> {
  query?: QueryParams;
  signal?: AbortSignal;
  /** Checks and narrows the JSON body; throw ShapeError when it does not fit. */
  parse: (body: unknown) => T;
}

export interface SendOptions<T> {
  query?: QueryParams;
  body?: unknown;
  signal?: AbortSignal;
  parse: (body: unknown) => T;
}

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A non-JSON answer (CSV, NDJSON) and the headers a download needs. */
export interface TextAnswer {
  text: string;
  contentType: string;
  /** From Content-Disposition's filename, if any. */
  filename: string | null;
  /** X-Next-Cursor: more pages follow (paged exports). */
  nextCursor: string | null;
}

export interface ApiClient {
  get<T>(path: string, options: GetOptions<T>): Promise<T>;
  /** A GET whose answer is text (CSV, NDJSON); errors are ApiErrors like any other request's. */
  getText(path: string, options: { query?: QueryParams; signal?: AbortSignal }): Promise<TextAnswer>;
  /** A write (POST/PUT/PATCH/DELETE) with an optional JSON body. */
  send<T>(method: WriteMethod, path: string, options: SendOptions<T>): Promise<T>;
}

export interface ApiClientConfig {
  /** '' for same origin, else e.g. https://api.example.com (no trailing slash). */
  baseUrl: string;
  /** A key: sent as a bearer token, and no cookie is sent along. */
  apiKey?: string;
  /**
   * Without a key the session cookie goes along (same origin only); `csrfToken` (from login, sign-up or GET /v1/me)
   * is sent as X-CSRF-Token on every write. Neither: a public call (sign-in, sign-up, reset…).
   */
  csrfToken?: string;
  fetchImpl?: typeof fetch;
}

export function buildUrl(baseUrl: string, path: string, query: QueryParams = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) search.append(name, String(item));
  }
  const qs = search.toString();
  return `${baseUrl}${path}${qs === '' ? '' : `?${qs}`}`;
}

interface ErrorEnvelope {
  code: string;
  message: string;
  details: unknown[];
  requestId: string | null;
}

/** `{"error": {"code", "message", "details"?}, "request_id"}` or null when the body is something else. */
export function readErrorEnvelope(body: unknown): ErrorEnvelope | null {
  if (typeof body !== 'object' || body === null) return null;
  const { error, request_id: requestId } = body as { error?: unknown; request_id?: unknown };
  if (typeof error !== 'object' || error === null) return null;
  const { code, message, details } = error as { code?: unknown; message?: unknown; details?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string') return null;
  return {
    code,
    message,
    details: Array.isArray(details) ? details : [],
    requestId: typeof requestId === 'string' ? requestId : null,
  };
}

/** `attachment; filename="signup-count.csv"` → signup-count.csv (quotes and path parts removed). */
export function filenameOf(disposition: string | null): string | null {
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition ?? '');
  if (!match) return null;
  let name = match[1]!;
  try {
    name = decodeURIComponent(name);
  } catch {
    // not percent-encoded: keep as is
  }
  name = name.split(/[\\/]/).pop()!.trim();
  return name === '' ? null : name;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  if (text === '') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

export function createApiClient({ baseUrl, apiKey, csrfToken, fetchImpl }: ApiClientConfig): ApiClient {
  const doFetch = fetchImpl ?? ((input, init) => fetch(input, init));

  async function request<T>(
    method: 'GET' | WriteMethod,
    path: string,
    { query, signal, parse, body: requestBody }: SendOptions<T>,
    textAnswer?: { value: TextAnswer | null },
  ): Promise<T> {
    const url = buildUrl(baseUrl, path, query);
    const headers: Record<string, string> = {
      Accept: textAnswer ? 'text/csv, application/x-ndjson, */*' : 'application/json',
    };
    if (apiKey !== undefined) headers.Authorization = `Bearer ${apiKey}`;
    else if (csrfToken !== undefined && method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
    if (requestBody !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await doFetch(url, {
        method,
        headers,
        body: requestBody === undefined ? undefined : JSON.stringify(requestBody),
        signal,
        // A key travels in a header only, never with cookies; a session is the cookie, on the same origin only.
        credentials: apiKey !== undefined ? 'omit' : 'same-origin',
      });
    } catch (cause) {
      if (signal?.aborted) throw cause; // a cancelled query, not a failure
      throw new ApiError(
        {
          status: 0,
          code: 'network_error',
          message: 'Could not reach the CustomerSignal API. Check your connection and that the server is running.',
        },
        { cause },
      );
    }

    const headerRequestId = response.headers.get('X-Request-Id');
    const raw = await response.text();
    if (response.ok && textAnswer !== undefined) {
      textAnswer.value = {
        text: raw,
        contentType: response.headers.get('Content-Type') ?? '',
        filename: filenameOf(response.headers.get('Content-Disposition')),
        nextCursor: response.headers.get('X-Next-Cursor') || null,
      };
      return undefined as T;
    }
    const body = parseJson(raw);

    if (!response.ok) {
      const envelope = body.ok ? readErrorEnvelope(body.value) : null;
      if (envelope) {
        throw new ApiError({
          status: response.status,
          code: envelope.code,
          message: envelope.message,
          details: envelope.details,
          requestId: envelope.requestId ?? headerRequestId,
        });
      }
      throw new ApiError({
        status: response.status,
        code: `http_${response.status}`,
        message: `The API answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}.`,
        requestId: headerRequestId,
      });
    }

    if (!body.ok) {
      throw new ApiError({
        status: response.status,
        code: 'invalid_response',
        message: `The API sent a response to ${path} that is not JSON.`,
        requestId: headerRequestId,
      });
    }
    try {
      return parse(body.value);
    } catch (cause) {
      if (!(cause instanceof ShapeError)) throw cause;
      throw new ApiError(
        {
          status: response.status,
          code: 'invalid_response',
          message: `Unexpected response from ${path}: ${cause.message}.`,
          requestId: headerRequestId,
        },
        { cause },
      );
    }
  }

  return {
    get: (path, options) => request('GET', path, options),
    getText: async (path, { query, signal }) => {
      const holder: { value: TextAnswer | null } = { value: null };
      await request<undefined>('GET', path, { query, signal, parse: () => undefined }, holder);
      return holder.value!;
    },
    send: (method, path, options) => request(method, path, options),
  };
}
