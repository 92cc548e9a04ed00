// Retention (POST /v1/retention/query, docs/api.md#retention): the query's rules, the tenant-local periods, and the
// answer made from the counts a reader returns. Pure: no clock (callers pass `nowMs`), no I/O.
//
// Definition ("first time" retention, docs/api.md#retention):
// - A person (distinct ids merged together, docs/architecture.md#people-and-identity) enters the cohort of the period
//   holding their FIRST start event within [from, to) — one cohort per person, so cohort sizes add up to the persons
//   who did the start event in the range, and a breakdown's cohorts add up to the total exactly.
// - Period 0 is the cohort period itself: the person counts in returned[0] when they did a return event at or after
//   that first start event (same timestamp included; the start event itself counts when it also matches the return
//   event) and before the period ends. Period k >= 1 is the k-th period after the cohort's: any return event in it.
// - Periods are the tenant's local days (local midnight to local midnight, 23 or 25 hours across DST changes,
//   core/timezone.ts) or weeks (Monday local midnight to the next Monday local midnight).
// - Only periods that have begun (start <= now) are listed in `returned`.
import { badRequest } from './errors';
import { DEFAULT_BREAKDOWN_LIMIT, MAX_BREAKDOWN_LIMIT, NONE_SERIES, OTHER_SERIES, rankSeries } from './breakdown';
import { bucketsIn, utcOffsetMs, type TimeZone } from './timezone';

export type RetentionPeriod = 'day' | 'week';

/** Largest `periods` and largest number of cohorts: 90 days or 26 weeks. */
export const MAX_PERIODS: Record<RetentionPeriod, number> = { day: 90, week: 26 };
/** How far `to` may lie after now. */
export const MAX_FUTURE_TO_MS = 31 * 86_400_000;
export const MAX_FILTERS = 10;
const MAX_EVENT_TYPE = 200;
const MAX_FILTER_VALUE = 500;
const DAY_MS = 86_400_000;

/** An event a retention query counts: its type and property filters (prop.<path>=<value> of the explorer). */
export interface RetentionEvent {
  eventType: string;
  /** [path, value] pairs, all of which must match (adapters/postgres/property-filter.ts). */
  filters: [string[], string][];
}

export interface RetentionQuery {
  project: string | null;
  start: RetentionEvent;
  ret: RetentionEvent;
  period: RetentionPeriod;
  periods: number;
  fromMs: number;
  toMs: number;
  breakdown: { path: string[]; limit: number } | null;
}

// ---- periods ---------------------------------------------------------------------------------------------------

/** The local date (days since 1970-01-01) of the local day starting at `dayStart`. */
function localDate(dayStart: number, zone: TimeZone): number {
  return Math.floor((dayStart + utcOffsetMs(dayStart, zone)) / DAY_MS);
}

/** Monday = 0 … Sunday = 6 of a local date (1970-01-01 was a Thursday). */
const weekday = (date: number) => (((date + 3) % 7) + 7) % 7;

/** Start of the local period (day, or week from Monday) holding `ms`. */
export function periodStart(ms: number, period: RetentionPeriod, zone: TimeZone): number {
  const z = bucketsIn(zone);
  let day = z.start(ms, '1d');
  if (period === 'day') return day;
  // Back to the first local day whose date is on or after this week's Monday (a date the clock skipped, as
  // Pacific/Apia's 2011-12-30, has no day: the week is then shorter).
  const monday = localDate(day, zone) - weekday(localDate(day, zone));
  for (;;) {
    const prev = z.start(day - 1, '1d');
    if (localDate(prev, zone) < monday) return day;
    day = prev;
  }
}

/** Start of the local period after the one holding `ms`. */
export function nextPeriod(ms: number, period: RetentionPeriod, zone: TimeZone): number {
  const z = bucketsIn(zone);
  let day = z.next(ms, '1d');
  if (period === 'day') return day;
  while (weekday(localDate(day, zone)) !== 0) day = z.next(day, '1d');
  return day;
}

/**
 * The periods of a query: `cohorts` cohort periods (those overlapping [from, to)) and `bounds`, the starts of the
 * global periods 0 … cohorts + periods − 2 followed by the end of the last one (cohorts + periods instants, rising).
 * Cohort c's period k is global period c + k, i.e. [bounds[c + k], bounds[c + k + 1]).
 */
export interface RetentionGrid {
  cohorts: number;
  bounds: number[];
}

export function retentionGrid(
  q: Pick<RetentionQuery, 'period' | 'periods' | 'fromMs' | 'toMs'>,
  zone: TimeZone,
): RetentionGrid {
  const bounds = [periodStart(q.fromMs, q.period, zone)];
  let cohorts = 0;
  while (bounds[cohorts]! < q.toMs) {
    cohorts += 1;
    if (cohorts > MAX_PERIODS[q.period]) {
      throw badRequest(
        'invalid_parameter',
        `from and to span more than ${MAX_PERIODS[q.period]} ${q.period}s (cohorts); narrow the range or use a longer period.`,
      );
    }
    bounds.push(nextPeriod(bounds[cohorts - 1]!, q.period, zone));
  }
  while (bounds.length < cohorts + q.periods) bounds.push(nextPeriod(bounds[bounds.length - 1]!, q.period, zone));
  return { cohorts, bounds };
}

// ---- the request body -----------------------------------------------------------------------------------------

const FIELDS = ['project', 'start_event', 'return_event', 'period', 'periods', 'from', 'to', 'breakdown', 'limit'];
const FIRST_MS = -62_135_596_800_000;
const LAST_MS = 253_402_300_799_999;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown) => {
  const s = typeof v === 'string' ? JSON.stringify(v.slice(0, 80)) : JSON.stringify(v);
  return s === undefined ? String(v) : s.slice(0, 100);
};

/** A property path: at most 6 non-empty names, dotted; NFC as ingest stores names. */
function parsePath(raw: string, what: string): string[] {
  const path = raw.normalize('NFC').split('.');
  if (raw.length === 0 || raw.length > 1000 || path.length > 6 || path.some((p) => p.length === 0)) {
    throw badRequest(
      'invalid_parameter',
      `${what} ${shown(raw)}: give a property name or a dotted path of at most 6 non-empty names (1000 characters), e.g. "plan" or "geo.country".`,
    );
  }
  return path;
}

function parseEvent(v: unknown, name: string): RetentionEvent {
  const example = `e.g. "${name}": "signup" or "${name}": {"event_type": "signup", "filters": {"plan": "pro"}}`;
  let type: unknown = v;
  let filters: unknown = undefined;
  if (isObject(v)) {
    const unknown = Object.keys(v).find((k) => k !== 'event_type' && k !== 'filters');
    if (unknown !== undefined)
      throw badRequest(
        'invalid_parameter',
        `${name}.${unknown.slice(0, 80)} is not a field; give event_type and filters.`,
      );
    type = v.event_type;
    filters = v.filters;
  }
  if (typeof type !== 'string' || type.trim() === '' || type.length > MAX_EVENT_TYPE) {
    throw badRequest(
      'invalid_parameter',
      `${name} needs an event type (a non-empty string of at most ${MAX_EVENT_TYPE} characters), ${example}.`,
    );
  }
  const out: [string[], string][] = [];
  if (filters !== undefined && filters !== null) {
    if (!isObject(filters))
      throw badRequest('invalid_parameter', `${name}.filters must be an object of property path → value, ${example}.`);
    const entries = Object.entries(filters);
    if (entries.length > MAX_FILTERS)
      throw badRequest(
        'invalid_parameter',
        `${name}.filters holds ${entries.length} filters; give at most ${MAX_FILTERS}.`,
      );
    for (const [k, value] of entries) {
      const path = parsePath(k, `${name}.filters key`);
      let text: string;
      if (typeof value === 'string' && value.length <= MAX_FILTER_VALUE) text = value;
      else if (typeof value === 'number' && Number.isFinite(value)) text = JSON.stringify(value);
      else if (typeof value === 'boolean') text = String(value);
      else
        throw badRequest(
          'invalid_parameter',
          `${name}.filters.${k.slice(0, 80)}: give a string (at most ${MAX_FILTER_VALUE} characters), number or boolean; it matches like prop.<path>=<value> of GET /v1/events.`,
        );
      out.push([path, text]);
    }
  }
  return { eventType: type.normalize('NFC'), filters: out };
}

function parseTime(v: unknown, name: string): number {
  const fix = `give ${name} as an ISO-8601 time (e.g. "2026-11-02T00:00:00Z") or epoch milliseconds`;
  let ms: number;
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw badRequest('invalid_parameter', `${name} ${shown(v)}: ${fix}.`);
    ms = v;
  } else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v)) {
    ms = Date.parse(v);
  } else if (typeof v === 'string' && /^-?\d{1,16}$/.test(v)) {
    ms = Number(v);
  } else {
    throw badRequest('invalid_parameter', `${name} ${v === undefined ? 'is required' : shown(v)}: ${fix}.`);
  }
  if (!(ms >= FIRST_MS && ms <= LAST_MS)) throw badRequest('invalid_parameter', `${name} ${shown(v)}: ${fix}.`);
  return ms;
}

/**
 * The body of POST /v1/retention/query, checked against the tenant's raw retention (events older than
 * now − retentionMs are gone, so a `from` before it is refused with the earliest that works).
 */
export function parseRetentionQuery(body: unknown, nowMs: number, retentionMs: number): RetentionQuery {
  if (!isObject(body))
    throw badRequest(
      'invalid_parameter',
      'Send a JSON object, e.g. {"start_event": "signup", "return_event": "login", "period": "week", "periods": 8, "from": "2026-09-07T00:00:00Z", "to": "2026-11-02T00:00:00Z"}.',
    );
  const unknown = Object.keys(body).find((k) => !FIELDS.includes(k));
  if (unknown !== undefined)
    throw badRequest('invalid_parameter', `${shown(unknown)} is not a field; the fields are ${FIELDS.join(', ')}.`);
  const project = body.project ?? null;
  if (project !== null && (typeof project !== 'string' || project === '' || project.length > 63))
    throw badRequest('invalid_parameter', 'project must be a project slug (a string), or left out for every project.');
  const start = parseEvent(body.start_event, 'start_event');
  const ret = parseEvent(body.return_event, 'return_event');
  const period = body.period;
  if (period !== 'day' && period !== 'week')
    throw badRequest(
      'invalid_parameter',
      `period ${period === undefined ? 'is required' : shown(period)}: give "day" or "week".`,
    );
  const max = MAX_PERIODS[period];
  const periods = body.periods;
  if (typeof periods !== 'number' || !Number.isInteger(periods) || periods < 1 || periods > max)
    throw badRequest(
      'invalid_parameter',
      `periods ${periods === undefined ? 'is required' : shown(periods)}: give a whole number from 1 to ${max} (${period}s counted per cohort, period 0 included).`,
    );
  const toMs = parseTime(body.to, 'to');
  const fromMs = parseTime(body.from, 'from');
  if (fromMs >= toMs) throw badRequest('invalid_parameter', 'from must be earlier than to.');
  const iso = (ms: number) => new Date(ms).toISOString();
  if (toMs > nowMs + MAX_FUTURE_TO_MS)
    throw badRequest(
      'invalid_parameter',
      `to ${iso(toMs)} is more than 31 days ahead; give to=${iso(nowMs)} or earlier.`,
    );
  const oldestKept = nowMs - retentionMs;
  if (fromMs < oldestKept) {
    const days = Math.round((retentionMs / DAY_MS) * 10) / 10;
    throw badRequest(
      'beyond_retention',
      `from ${iso(fromMs)} is before the oldest event kept (raw events are kept ${days} days); give from=${iso(Math.ceil(oldestKept / 1000) * 1000)} or later.`,
    );
  }
  let breakdown: RetentionQuery['breakdown'] = null;
  if (body.breakdown !== undefined && body.breakdown !== null) {
    if (typeof body.breakdown !== 'string')
      throw badRequest('invalid_parameter', 'breakdown must be a property path (a string), e.g. "country".');
    let limit = DEFAULT_BREAKDOWN_LIMIT;
    if (body.limit !== undefined) {
      const l = body.limit;
      if (typeof l !== 'number' || !Number.isInteger(l) || l < 1 || l > MAX_BREAKDOWN_LIMIT)
        throw badRequest(
          'invalid_parameter',
          `limit ${shown(l)}: give a whole number of values from 1 to ${MAX_BREAKDOWN_LIMIT} (default ${DEFAULT_BREAKDOWN_LIMIT}); the rest is in $other.`,
        );
      limit = l;
    }
    breakdown = { path: parsePath(body.breakdown, 'breakdown'), limit };
  } else if (body.limit !== undefined) {
    throw badRequest('invalid_parameter', 'limit applies to breakdowns: add "breakdown": "<property>", or drop limit.');
  }
  return { project: project as string | null, start, ret, period, periods, fromMs, toMs, breakdown };
}

// ---- the answer -----------------------------------------------------------------------------------------------

/**
 * What a reader returns: persons per (cohort, breakdown value, period). `k` = -1 is the cohort's size; k >= 0 the
 * persons of the cohort with a return event in period k. `value` is null without a breakdown. Cells with no person
 * may be left out.
 */
export interface RetentionCell {
  cohort: number;
  value: string | null;
  k: number;
  persons: number;
}

export interface RetentionRead {
  tenantId: string;
  projectIds: string[];
  start: RetentionEvent;
  ret: RetentionEvent;
  fromMs: number;
  toMs: number;
  grid: RetentionGrid;
  periods: number;
  breakdown: string[] | null;
}

/** The port behind retention (adapters/postgres/retention-reads.ts). */
export interface RetentionReader {
  read(r: RetentionRead): Promise<RetentionCell[]>;
}

export interface CohortAnswer {
  start: string;
  size: number;
  returned: number[];
}

export interface RetentionAnswer {
  timezone: string;
  period: RetentionPeriod;
  periods: number;
  cohorts: CohortAnswer[];
  breakdown?: { value: string; cohorts: CohortAnswer[] }[];
}

/** How many of cohort c's periods have begun by now (the rest are left out of `returned`). */
function begun(grid: RetentionGrid, c: number, periods: number, nowMs: number): number {
  let k = 0;
  while (k < periods && grid.bounds[c + k]! <= nowMs) k += 1;
  return k;
}

function cohortsOf(cells: readonly RetentionCell[], grid: RetentionGrid, periods: number, nowMs: number) {
  const out: CohortAnswer[] = [];
  for (let c = 0; c < grid.cohorts; c++) {
    out.push({
      start: new Date(grid.bounds[c]!).toISOString(),
      size: 0,
      returned: new Array<number>(begun(grid, c, periods, nowMs)).fill(0),
    });
  }
  for (const x of cells) {
    const cohort = out[x.cohort];
    if (!cohort) continue;
    if (x.k < 0) cohort.size += x.persons;
    else if (x.k < cohort.returned.length) cohort.returned[x.k]! += x.persons;
  }
  return out;
}

/**
 * The answer from a reader's cells. With a breakdown: the `limit` values with the most persons over all cohorts
 * (ties by the value's UTF-8 bytes) in that order, then `$other` (every other value) and `$none` (no value) when they
 * hold persons. Every person has one value (that of their cohort-defining start event), so each list of cohorts
 * adds up to the total exactly, cell by cell.
 */
export function retentionAnswer(
  q: Pick<RetentionQuery, 'period' | 'periods' | 'breakdown'>,
  zone: TimeZone,
  grid: RetentionGrid,
  cells: readonly RetentionCell[],
  nowMs: number,
): RetentionAnswer {
  const answer: RetentionAnswer = {
    timezone: zone,
    period: q.period,
    periods: q.periods,
    cohorts: cohortsOf(cells, grid, q.periods, nowMs),
  };
  if (!q.breakdown) return answer;
  const totals = new Map<string, number>();
  for (const x of cells)
    if (x.k < 0) totals.set(x.value ?? NONE_SERIES, (totals.get(x.value ?? NONE_SERIES) ?? 0) + x.persons);
  const top = rankSeries(totals, q.breakdown.limit);
  const shownValues = new Set(top);
  const seriesOf = (v: string | null) => {
    const s = v ?? NONE_SERIES;
    return s === NONE_SERIES || shownValues.has(s) ? s : OTHER_SERIES;
  };
  const grouped = new Map<string, RetentionCell[]>();
  for (const x of cells) {
    const s = seriesOf(x.value);
    (grouped.get(s) ?? grouped.set(s, []).get(s)!).push(x);
  }
  const names = [...top, ...[OTHER_SERIES, NONE_SERIES].filter((s) => grouped.has(s))];
  answer.breakdown = names.map((value) => ({
    value,
    cohorts: cohortsOf(grouped.get(value) ?? [], grid, q.periods, nowMs),
  }));
  return answer;
}
