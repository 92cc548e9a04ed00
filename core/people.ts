// People (docs/api.md#people): the shapes of a person, its timeline and the search, their parameters and their
// answers. Pure; the reads are adapters/postgres/people-reads.ts.
import { badRequest } from './errors';
import { decodeCursorArray, invalidCursor, type ExplorerCursor } from './cursor';
import { hasNonPrintable, unstorableProblem } from './event-validation';
import type { StoredEventFields } from './stored-event';

export const PEOPLE_DEFAULT_LIMIT = 50;
export const PEOPLE_MAX_LIMIT = 1000;
const MAX_ID = 256;

export interface PersonIdRow {
  id: string;
  personId: string;
  identified: boolean;
  firstSeen: Date;
  lastSeen: Date;
  eventCount: string;
}

export interface PersonRecord {
  personId: string;
  ids: PersonIdRow[];
  traits: Record<string, unknown>;
  traitsAt: Date | null;
}

export interface TimelineQuery {
  tenantId: string;
  projectId: string;
  ids: string[];
  pinnedAt: string;
  eventTypes: string[];
  fromMs?: number;
  toMs?: number;
  limit: number;
  cursor?: ExplorerCursor;
}

export interface TimelineRow extends StoredEventFields {
  timestamp: Date;
}

export interface PeopleSearch {
  tenantId: string;
  projectId: string;
  /** Matches an id starting with it, or a trait value containing it (case-insensitive); null: every person. */
  text: string | null;
  /** [key, value]: the trait's text must equal value. */
  traits: [string, string][];
  afterPersonId: string | null;
  limit: number;
}

export interface PersonSummary {
  personId: string;
  ids: string[];
  firstSeen: Date;
  lastSeen: Date;
  eventCount: string;
  traits: Record<string, unknown>;
}

/** An id as a path segment or search text: non-empty, storable, printable, at most 256 characters. */
export function checkIdParam(value: string, what: string): string {
  const problem =
    value === ''
      ? `${what} must not be empty`
      : [...value].length > MAX_ID
        ? `${what} is longer than ${MAX_ID} characters (ids are at most ${MAX_ID})`
        : (unstorableProblem(value, what) ??
          (hasNonPrintable(value) ? `${what} contains a control or non-printable character` : undefined));
  if (problem) throw badRequest('invalid_parameter', problem + '.');
  return value;
}

export function limitParam(raw: string | null): number {
  if (raw === null || raw === '') return PEOPLE_DEFAULT_LIMIT;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > PEOPLE_MAX_LIMIT)
    throw badRequest('invalid_parameter', `limit must be a whole number from 1 to ${PEOPLE_MAX_LIMIT}.`);
  return Number(raw);
}

/** The search's cursor: the last person id of the previous page. */
export function encodeSearchCursor(lastPersonId: string): string {
  return Buffer.from(JSON.stringify(['p1', lastPersonId]), 'utf8').toString('base64url');
}

export function decodeSearchCursor(raw: string): string {
  const [, id] = decodeCursorArray(raw, 'p1', 2);
  if (typeof id !== 'string' || id === '' || id.length > 1024 || unstorableProblem(id, 'cursor') !== undefined)
    throw invalidCursor();
  return id;
}

/** `trait.<key>=<value>` parameters of a search; each key at most once. */
export function traitFilters(params: URLSearchParams): [string, string][] {
  const out: [string, string][] = [];
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (!name.startsWith('trait.')) continue;
    const key = name.slice('trait.'.length);
    if (key === '') throw badRequest('invalid_parameter', 'trait.<key>=<value> needs a key, e.g. trait.plan=pro.');
    const problem =
      unstorableProblem(key, `the trait name ${JSON.stringify(key.slice(0, 40))}`) ??
      unstorableProblem(value, `the value of trait.${key.slice(0, 40)}`);
    if (problem) throw badRequest('invalid_parameter', problem + '.');
    if (seen.has(key)) throw badRequest('invalid_parameter', `trait.${key} is given twice; give each trait once.`);
    seen.add(key);
    out.push([key.normalize('NFC'), value]);
  }
  return out;
}

const iso = (d: Date) => d.toISOString();

/** GET /v1/users/{id}: the person with its ids (each with its own counts), totals and latest traits. */
export function personAnswer(project: string, requested: string, p: PersonRecord) {
  const total = p.ids.reduce((n, r) => n + BigInt(r.eventCount), 0n);
  // An id named only by a merge (an anonymous id) was seen by that event, with no event of its own.
  const span = p.ids;
  return {
    project,
    id: requested,
    person_id: p.personId,
    ids: p.ids.map((r) => ({
      id: r.id,
      identified: r.identified,
      first_seen: iso(r.firstSeen),
      last_seen: iso(r.lastSeen),
      event_count: Number(r.eventCount),
    })),
    first_seen: iso(new Date(Math.min(...span.map((r) => r.firstSeen.getTime())))),
    last_seen: iso(new Date(Math.max(...span.map((r) => r.lastSeen.getTime())))),
    event_count: Number(total),
    identified: p.ids.some((r) => r.identified),
    traits: p.traits,
    traits_at: p.traitsAt ? iso(p.traitsAt) : null,
  };
}

export function timelineEvent(r: TimelineRow) {
  return {
    event_id: r.eventId,
    event_type: r.eventType,
    timestamp: iso(r.timestamp),
    received_at: iso(r.receivedAt),
    user_id: r.userId,
    anonymous_id: r.anonymousId,
    session_id: r.sessionId,
    properties: r.properties,
    context: r.context,
  };
}

export function personSummary(r: PersonSummary) {
  return {
    person_id: r.personId,
    ids: r.ids,
    first_seen: iso(r.firstSeen),
    last_seen: iso(r.lastSeen),
    event_count: Number(r.eventCount),
    traits: r.traits,
  };
}
