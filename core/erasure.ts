// Erasure and access of a person (docs/api.md#erasure-and-access, docs/architecture.md#erasure): the job a
// DELETE /v1/users/{id} starts, the store it runs on, and the pure rules (which ids are acceptable, which buckets an
// erased hour's recomputation covers). Pure.
import { badRequest } from './errors';
import { unstorableChar } from './event-validation';
import { bucketStart, INTERVAL_MS, type Interval } from './intervals';
import { ROLLUP_INTERVALS, TEN_SECOND_KEEP_MS, type RollupValue } from './rollups';
import type { AuditEntry } from './audit-log';
import type { StoredEventFields } from './stored-event';

export type ErasureStatus = 'pending' | 'running' | 'done' | 'failed';

/** A job and its ref: jobs are per tenant, and the tenant comes from the credential. */
export interface ErasureRef {
  tenantId: string;
  id: string;
}

export interface ErasureJob extends ErasureRef {
  /** The id the request named. */
  person: string;
  projectIds: string[];
  status: ErasureStatus;
  /** Raw events erased; null until the erasure step ran. */
  eventsErased: number | null;
  /** Start of every UTC hour whose derived data is still to be recomputed (ascending). */
  hours: number[];
  /** Start of every UTC day whose 1d buckets are still to be recomputed, after its hours (ascending). */
  days: number[];
  attempts: number;
  error: string | null;
  requestedAtMs: number;
  finishedAtMs: number | null;
}

/**
 * Erased hours recomputed per transaction (erasure-store.ts recomputeHours): fewer transactions, each holding the
 * tenant's exclusive rollup lock no longer than a few hours' touched cells take.
 */
export const HOURS_PER_CHUNK = 12;

/** After this many failed attempts in a row a job is `failed` (a new DELETE starts another). */
export const MAX_ERASURE_ATTEMPTS = 10;

/** The longest id accepted: the user_id limit of ingest (core/event-validation.ts), in code points. */
export const MAX_PERSON_ID_LENGTH = 256;

/** The {id} of /v1/users/{id}, or a 400 saying how to fix it. */
export function personIdParam(raw: string): string {
  if (raw.length === 0)
    throw badRequest('invalid_parameter', 'The user id in the path is empty; give the id to act on.');
  if (raw.length > MAX_PERSON_ID_LENGTH && [...raw].length > MAX_PERSON_ID_LENGTH)
    throw badRequest(
      'invalid_parameter',
      `The user id in the path is longer than ${MAX_PERSON_ID_LENGTH} characters, so no event can carry it; check the id.`,
    );
  const bad = unstorableChar(raw);
  if (bad !== undefined)
    throw badRequest(
      'invalid_parameter',
      `The user id in the path holds ${bad}, which no stored id can contain; percent-encode the id's UTF-8 bytes.`,
    );
  return raw;
}

/** The job as the API shows it (GET /v1/erasures/{job_id}, the 202 of DELETE /v1/users/{id}). */
export function erasureJobView(job: ErasureJob) {
  return {
    id: job.id,
    status: job.status,
    person: job.person,
    events_erased: job.eventsErased,
    requested_at: new Date(job.requestedAtMs).toISOString(),
    finished_at: job.finishedAtMs === null ? null : new Date(job.finishedAtMs).toISOString(),
    ...(job.error !== null ? { error: job.error } : {}),
  };
}

/**
 * The intervals of an erased hour's recomputation (each no larger than 1h; the 1d buckets follow per day), as
 * `customersignal rebuild` chooses them: 10s buckets only while they are kept (TEN_SECOND_KEEP_MS).
 */
export function hourIntervals(hourMs: number, nowMs: number): Interval[] {
  return ROLLUP_INTERVALS.filter(
    (i) => i !== '1d' && (i !== '10s' || hourMs + INTERVAL_MS['1h'] > nowMs - TEN_SECOND_KEEP_MS),
  );
}

/** The UTC hours and days to recompute for events at these times, ascending and distinct. */
export function recomputeScope(timestampsMs: Iterable<number>): { hours: number[]; days: number[] } {
  const hours = new Set<number>();
  for (const t of timestampsMs) hours.add(bucketStart(t, '1h'));
  const sortedHours = [...hours].sort((a, b) => a - b);
  const days = [...new Set(sortedHours.map((h) => bucketStart(h, '1d')))];
  return { hours: sortedHours, days };
}

/** What the erasure step removed: counts only (the ids and events themselves are gone). */
export interface ErasedSummary {
  events: number;
  ids: number;
  hours: number[];
}

/** A person's stored data in one project (GET /v1/users/{id}/export). */
export interface PersonRecord {
  projectId: string;
  personId: string;
  ids: {
    id: string;
    identified: boolean;
    firstSeen: Date;
    lastSeen: Date;
    eventCount: number;
  }[];
  traits: Record<string, unknown>;
  traitsAt: Date | null;
  /** Over the person's stored raw events in the project (null when none). */
  firstSeen: Date | null;
  lastSeen: Date | null;
  eventCount: number;
  merges: {
    eventId: string;
    ts: Date;
    fromId: string;
    intoId: string;
    outcome: string;
    reason: string | null;
    appliedAt: Date;
  }[];
}

export interface PersonEvent extends StoredEventFields {
  projectId: string;
  ts: Date;
}

/** The Postgres side of erasure and access (adapters/postgres/erasure-store.ts). */
export interface ErasureStore {
  /** The distinct ids of the person `id` belongs to, per project in scope (an id with no row is its own person). */
  personIds(q: { tenantId: string; projectIds: string[]; id: string }): Promise<Map<string, string[]>>;
  /** True when anything is stored about the person in these projects (events, ids, traits). */
  personExists(q: { tenantId: string; projectIds: string[]; id: string }): Promise<boolean>;
  /**
   * The open (pending or running) job for this person and scope, or a new pending one; the audit entry is written in
   * the same transaction as a new job.
   */
  request(
    job: { tenantId: string; id: string; person: string; projectIds: string[]; requestedBy: string; nowMs: number },
    audit: (jobId: string) => AuditEntry,
  ): Promise<{ job: ErasureJob; created: boolean }>;
  get(ref: ErasureRef): Promise<ErasureJob | null>;
  /** Open jobs, oldest first. */
  open(limit: number): Promise<ErasureRef[]>;
  /**
   * Runs `fn` while holding the job's run lock (a session lock: a crashed runner releases it); null when another
   * runner holds it.
   */
  withRunLock<T>(ref: ErasureRef, fn: () => Promise<T>): Promise<T | null>;
  /**
   * The erasure step of a pending job, one transaction: the person's raw events (their ids hashed into
   * erased_event_ids, their event_ids rows removed), distinct ids, traits and merges deleted, the counts and sums of
   * every bucket they were counted in decremented by exactly their share, the touched cells recorded; the job becomes
   * running with the hours and days to recompute. A no-op returning the job when it is not pending.
   */
  erase(ref: ErasureRef, nowMs: number): Promise<ErasureJob>;
  /**
   * Recomputes the sketches of the cells the erased events touched in these hours (the counts and sums were
   * decremented by the erasure step; 10s buckets only in `tenSecondHoursMs`) and returns the current values of every
   * touched cell for the Redis refresh. Idempotent.
   */
  recomputeHours(ref: ErasureRef, q: { hoursMs: number[]; tenSecondHoursMs: number[] }): Promise<RollupValue[]>;
  /** The hours recomputed and refreshed in Redis: off the job's list, their cells forgotten. */
  hoursDone(ref: ErasureRef, hoursMs: number[]): Promise<void>;
  dayDone(ref: ErasureRef, dayMs: number): Promise<void>;
  /** Deletes the tenant's declared-dimension value texts that no bucket keeps any more; how many. */
  purgeUnkeptValues(tenantId: string): Promise<number>;
  /** The job done, with the audit entry of its completion in the same transaction. */
  finish(ref: ErasureRef, nowMs: number, audit: AuditEntry): Promise<void>;
  /** Records a failed attempt; the job becomes failed after MAX_ERASURE_ATTEMPTS. */
  attemptFailed(ref: ErasureRef, message: string, nowMs: number): Promise<void>;
  /** Deletes hashed ids of erased events older than the cutoff (as retention deletes event_ids). */
  purgeErasedIds(cutoffMs: number): Promise<number>;
  /** What is stored about the person, per project where anything is. */
  personRecords(q: { tenantId: string; projectIds: string[]; id: string }): Promise<PersonRecord[]>;
  /** The person's raw events after (ts, event_id), ascending, at most `limit`, stored at or before `pinnedAt`. */
  personEvents(q: {
    tenantId: string;
    ids: Map<string, string[]>;
    after: { ts: string; eventId: string } | null;
    pinnedAt: string;
    limit: number;
  }): Promise<PersonEvent[]>;
}
