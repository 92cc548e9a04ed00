// The dead-letter record: what the aggregate handler writes to events_dlq and what `cli dlq` reads back. Pure.
import { createHash } from 'node:crypto';
import { deadLetter, rejected, type DeadLetter as DeadLettered, type Rejected } from './outcome';

/** Where a record was read from. */
export interface RecordOrigin {
  topic: string;
  partition: number;
  offset: number;
}

export interface DeadLetter {
  origin: RecordOrigin;
  /** snake_case: a decode reason (unparseable_json, unknown_wire_version, ...) or processing_failed. */
  reason: string;
  /** One line: the decode reason again, or the SQLSTATE/error name and message of the last attempt. */
  error: string;
  attempts: number;
  /** Known once the record decoded; null for records that could not be read. */
  tenantId: string | null;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/**
 * What becomes of a record that failed on its own, once the attempt is counted
 * (docs/architecture.md#rule-3-offsets-move-only-after-the-effect): the delivery is refused — the batch is
 * retried — until the record has failed `maxAttempts` times; then it is dead-lettered as `processing_failed`.
 */
export function afterFailedAttempt(
  attempts: number,
  maxAttempts: number,
): Rejected<{ attempt: number; of: number }> | DeadLettered {
  return attempts >= maxAttempts ? deadLetter('processing_failed') : rejected({ attempt: attempts, of: maxAttempts });
}

export interface OutgoingMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Our headers carry a prefix so they never collide with the record's own (request_id, traceparent, ...). */
const PREFIX = 'dlq_';
export const DLQ_HEADER = {
  reason: 'dlq_reason',
  error: 'dlq_error',
  attempts: 'dlq_attempts',
  tenantId: 'dlq_tenant_id',
  sourceTopic: 'dlq_source_topic',
  sourcePartition: 'dlq_source_partition',
  sourceOffset: 'dlq_source_offset',
} as const;
/** Set on a record re-produced from the DLQ: `<dlq topic>:<partition>:<offset>` (topic names cannot hold ':'). */
export const REDRIVEN_FROM_HEADER = 'redriven_from';
/** Headers of DLQ records written before the dlq_ prefix: the original headers plus these four. */
const LEGACY = {
  error: 'error',
  sourceTopic: 'source_topic',
  sourcePartition: 'source_partition',
  sourceOffset: 'source_offset',
};

export function deadLetterMessage(d: DeadLetter): OutgoingMessage {
  return {
    key: d.key ?? '',
    value: d.value ?? '',
    headers: {
      ...originalHeaders(d.headers),
      [DLQ_HEADER.reason]: d.reason,
      [DLQ_HEADER.error]: d.error,
      [DLQ_HEADER.attempts]: String(d.attempts),
      ...(d.tenantId ? { [DLQ_HEADER.tenantId]: d.tenantId } : {}),
      [DLQ_HEADER.sourceTopic]: d.origin.topic,
      [DLQ_HEADER.sourcePartition]: String(d.origin.partition),
      [DLQ_HEADER.sourceOffset]: String(d.origin.offset),
    },
  };
}

export interface DeadLetterInfo {
  origin: RecordOrigin | null;
  reason: string | null;
  error: string | null;
  attempts: number | null;
  tenantId: string | null;
  redrivenFrom: string | null;
}

const isLegacy = (h: Record<string, string>) => !(DLQ_HEADER.sourceTopic in h) && LEGACY.sourceTopic in h;

/** Reads what deadLetterMessage wrote (and the older un-prefixed headers). */
export function readDeadLetter(headers: Record<string, string>): DeadLetterInfo {
  const legacy = isLegacy(headers);
  const get = (name: keyof typeof DLQ_HEADER): string | null => {
    const v =
      headers[DLQ_HEADER[name]] ??
      (legacy && name in LEGACY ? headers[LEGACY[name as keyof typeof LEGACY]] : undefined);
    return v === undefined ? null : v;
  };
  const topic = get('sourceTopic');
  const partition = Number(get('sourcePartition'));
  const offset = Number(get('sourceOffset'));
  const attempts = Number(get('attempts'));
  return {
    origin:
      topic !== null && Number.isInteger(partition) && Number.isInteger(offset) ? { topic, partition, offset } : null,
    // Older records carried only the decode reason, in `error`.
    reason: get('reason') ?? (legacy ? get('error') : null),
    error: get('error'),
    attempts: get('attempts') !== null && Number.isInteger(attempts) ? attempts : legacy ? 1 : null,
    tenantId: get('tenantId'),
    redrivenFrom: headers[REDRIVEN_FROM_HEADER] ?? null,
  };
}

/** The record's own headers, without what dead-lettering added. */
export function originalHeaders(headers: Record<string, string>): Record<string, string> {
  const legacy = isLegacy(headers) ? new Set(Object.values(LEGACY)) : new Set<string>();
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(PREFIX) && !legacy.has(k)));
}

/** The headers a redriven record is produced with: its own, and where in the DLQ it came from. */
export function redriveHeaders(headers: Record<string, string>, from: RecordOrigin): Record<string, string> {
  return { ...originalHeaders(headers), [REDRIVEN_FROM_HEADER]: `${from.topic}:${from.partition}:${from.offset}` };
}

/** A DLQ entry's id as the CLI shows it: `<partition>:<offset>` in the DLQ topic. */
export function formatDlqId(partition: number, offset: number | string): string {
  return `${partition}:${offset}`;
}

export function parseDlqId(id: string): { partition: number; offset: number } | undefined {
  const m = /^(\d{1,9}):(\d{1,18})$/.exec(id.trim());
  if (!m) return undefined;
  const offset = Number(m[2]);
  return Number.isSafeInteger(offset) ? { partition: Number(m[1]), offset } : undefined;
}

/**
 * Identifies a record's content, so that attempts counted for (topic, partition, offset) are never applied
 * to a different record at the same position (a topic deleted and created again starts at offset 0).
 */
export function recordFingerprint(key: string | null, value: string | null): Buffer {
  return createHash('sha256')
    .update(key === null ? '\u0001' : `\u0002${key}`)
    .update('\u0000')
    .update(value === null ? '\u0001' : `\u0002${value}`)
    .digest();
}
