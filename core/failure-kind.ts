// Why did processing fail: the infrastructure (retry for as long as it takes) or the record itself (isolate,
// count, dead-letter)? docs/architecture.md#rule-3-offsets-move-only-after-the-effect. Pure: looks only at the shape of the error.

export type FailureKind = 'infrastructure' | 'record';

/** Socket and client-level connection failures: Node, postgres.js (CONNECT_TIMEOUT, CONNECTION_*). */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'ENOTCONN',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
]);

/** Client errors that mean "the service is not answering" (kafkajs names are matched by prefix). */
const INFRASTRUCTURE_NAMES = new Set([
  'ProducerUnavailableError', // our Kafka producer: no ack in time, queue full
  'MaxRetriesPerRequestError', // ioredis: Redis down
  'ClusterAllFailedError',
  'TimeoutError',
  'AbortError',
]);

/** Redis replies that mean the server cannot serve right now, not that the command was wrong. */
const REDIS_UNAVAILABLE = /^(LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|OOM|NOAUTH|WRONGPASS)\b/;
const REDIS_CONNECTION = /^(Connection is closed|Stream isn't writeable|Reached the max retries per request)/;

/**
 * SQLSTATE classes caused by the data of the statement: 22 data exception (invalid input, value out of range,
 * an unsupported \u0000 in jsonb), 23 integrity constraint violation, 54 program limit exceeded (e.g. an index row
 * too large for a huge value). Every other SQLSTATE — 08 connection, 53 resources, 57 operator intervention
 * (shutdown, statement timeout), 58 system, 40001/40P01 serialization and deadlock, 42 schema not migrated,
 * 28 authentication — fails for every record alike, so it is retried rather than blamed on a record.
 */
const RECORD_SQLSTATE_CLASSES = new Set(['22', '23', '54']);
const SQLSTATE = /^[0-9A-Z]{5}$/;

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
}

function shape(e: unknown): ErrorShape {
  return typeof e === 'object' && e !== null ? (e as ErrorShape) : {};
}

function sqlState(e: ErrorShape): string | undefined {
  if (typeof e.code !== 'string') return undefined;
  // postgres.js server errors are PostgresError; its own "canceling statement" is a plain Error with code 57014.
  if (e.name === 'PostgresError' || /^\d{2}[0-9A-Z]{3}$/.test(e.code))
    return SQLSTATE.test(e.code) ? e.code : undefined;
  return undefined;
}

function isInfrastructureItself(e: ErrorShape): boolean {
  const name = typeof e.name === 'string' ? e.name : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  if (INFRASTRUCTURE_NAMES.has(name) || name.startsWith('KafkaJS')) return true;
  if (name === 'ReplyError' && REDIS_UNAVAILABLE.test(message)) return true;
  if (REDIS_CONNECTION.test(message)) return true;
  const state = sqlState(e);
  return state !== undefined && !RECORD_SQLSTATE_CLASSES.has(state.slice(0, 2));
}

/** Postgres states that mean "cannot take connections now": class 08 (connection), 57P03 (starting), 53300 (too many). */
const CONNECTION_SQLSTATE = /^(08|57P03$|53300$)/;

/**
 * The narrowest infrastructure failure: the service could not be reached or refused the connection (a target that
 * is not there yet). A deploy step that waits for its database retries these and nothing else.
 */
export function isConnectionFailure(error: unknown): boolean {
  return chain(error).some(
    (e) => typeof e.code === 'string' && (CONNECTION_CODES.has(e.code) || CONNECTION_SQLSTATE.test(e.code)),
  );
}

/** The error and everything it wraps (`cause` chains, AggregateError members), bounded against cycles. */
function chain(error: unknown): ErrorShape[] {
  const out: ErrorShape[] = [];
  const queue: unknown[] = [error];
  const seen = new Set<unknown>();
  while (queue.length > 0 && out.length < 20) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || seen.has(e)) continue;
    seen.add(e);
    const s = shape(e);
    out.push(s);
    queue.push(s.cause);
    if (Array.isArray(s.errors)) queue.push(...s.errors);
  }
  return out;
}

/**
 * Infrastructure when the error, or anything it wraps, says a service is unreachable, timed out or cannot
 * serve (including every SQLSTATE outside the data classes 22, 23 and 54). Anything else — a data error from
 * Postgres, a TypeError or RangeError from the record's content — is the record's own failure.
 */
export function failureKind(error: unknown): FailureKind {
  return chain(error).some(isInfrastructureItself) ? 'infrastructure' : 'record';
}

/**
 * The one classifier every layer uses, in three: `infrastructure` (retry: a consumer retries, HTTP answers 503),
 * `data` (Postgres refused a value of the input: SQLSTATE 22, 23 or 54 — a consumer isolates the record, HTTP
 * answers 400, an alert rule goes to `error`), `defect` (anything else: a consumer isolates the record, HTTP
 * answers 500). A record failure in the sense of failureKind is `data` or `defect`.
 */
export type FailureClass = 'infrastructure' | 'data' | 'defect';

export function classifyFailure(error: unknown): FailureClass {
  const errors = chain(error);
  if (errors.some(isInfrastructureItself)) return 'infrastructure';
  return errors.some((e) => RECORD_SQLSTATE_CLASSES.has(sqlState(e)?.slice(0, 2) ?? '')) ? 'data' : 'defect';
}

/** The SQLSTATE of the error or of what it wraps, for logs (Postgres' message may quote the value). */
export function sqlStateOf(error: unknown): string | undefined {
  for (const e of chain(error)) {
    const state = sqlState(e);
    if (state) return state;
  }
  return undefined;
}

export const isRecordFailure = (error: unknown): boolean => failureKind(error) === 'record';

/**
 * One line for logs, record_attempts and the DLQ header: SQLSTATE or code, then the message. Control
 * characters are replaced (Postgres text cannot hold NUL) and the length is bounded. Postgres puts offending
 * values in `detail`, which is left out.
 */
export function describeFailure(error: unknown, maxLength = 500): string {
  const e = shape(error);
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const message = typeof e.message === 'string' ? e.message : String(error);
  const code = typeof e.code === 'string' || typeof e.code === 'number' ? String(e.code) : undefined;
  const text = `${code ? `${code} ` : ''}${name === 'Error' || name === 'PostgresError' ? '' : `${name}: `}${message}`;
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return clean.length > maxLength ? clean.slice(0, maxLength - 1) + '…' : clean;
}
