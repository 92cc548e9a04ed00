// Records that fail on their own (docs/architecture.md#rule-3-offsets-move-only-after-the-effect): attempts counted in Postgres by (topic, partition,
// offset), then the record with its error, original key/value/headers and origin written to events_dlq.
import { afterFailedAttempt, deadLetterMessage, recordFingerprint, type DeadLetter } from '../../core/dead-letter';
import { describeFailure } from '../../core/failure-kind';
import type { DecodedRecord } from '../../core/msk-event';
import { logger } from '../../adapters/logger';
import type { Deps } from './process-batch';

/** Thrown while a failing record has attempts left: the host retries the batch (its healthy part is stored). */
export class RecordFailedError extends Error {
  override name = 'RecordFailedError';
}

export interface RecordProcessingFailure {
  record: DecodedRecord;
  tenantId: string;
  error: unknown;
}

const origin = (r: DecodedRecord) => ({ topic: r.topic, partition: r.partition, offset: r.offset });

/** Undecodable records can never succeed: dead-lettered on the first attempt. Returns how many were written. */
export async function deadLetterUndecodable(
  deps: Deps,
  records: { record: DecodedRecord; reason: string }[],
): Promise<number> {
  return deadLetter(
    deps,
    records.map(({ record, reason }) => letter(record, { reason, error: reason, attempts: 1, tenantId: null })),
  );
}

/**
 * Counts an attempt for every record that failed on its own; dead-letters those that reached the limit and
 * throws RecordFailedError when any has attempts left. Returns how many were written to the DLQ.
 */
export async function settleFailures(deps: Deps, failures: RecordProcessingFailure[]): Promise<number> {
  if (failures.length === 0) return 0;
  const max = deps.config.aggregateMaxRecordAttempts;
  const due: DeadLetter[] = [];
  const retrying: string[] = [];
  for (const f of failures) {
    const error = describeFailure(f.error);
    const attempt = { origin: origin(f.record), tenantId: f.tenantId, fingerprint: fingerprintOf(f.record), error };
    const counted = await deps.deadLetters.countAttempt(attempt);
    const at = { topic: f.record.topic, partition: f.record.partition, offset: f.record.offset, tenant_id: f.tenantId };
    if (counted === 'dead_lettered') {
      logger.info('record already dead-lettered; skipped', at);
      continue;
    }
    logger.warn('record failed on its own', { ...at, attempts: counted.attempts, max_attempts: max, error });
    const next = afterFailedAttempt(counted.attempts, max);
    if (next.kind === 'dead_letter') {
      due.push(letter(f.record, { reason: next.reason, error, attempts: counted.attempts, tenantId: f.tenantId }));
    } else {
      retrying.push(
        `${f.record.topic}/${f.record.partition}@${f.record.offset} (attempt ${next.reason.attempt} of ${next.reason.of}): ${error}`,
      );
    }
  }
  const written = await deadLetter(deps, due);
  if (retrying.length > 0) {
    // No `cause`: Postgres puts the offending values in detail/where, and this error is logged by the host.
    throw new RecordFailedError(
      `${retrying.length} record(s) failed on their own; the batch is retried: ${retrying.slice(0, 3).join('; ')}`,
    );
  }
  return written;
}

function letter(record: DecodedRecord, d: Pick<DeadLetter, 'reason' | 'error' | 'attempts' | 'tenantId'>): DeadLetter {
  return { ...d, origin: origin(record), key: record.key, value: record.value, headers: record.headers };
}

const fingerprintOf = (r: DecodedRecord) => recordFingerprint(r.key, r.value);

/**
 * Writes to the DLQ first and marks in Postgres second: a crash in between writes the record once more on
 * the next delivery (a duplicate DLQ entry) rather than losing it. Records already marked are not written.
 */
async function deadLetter(deps: Deps, letters: DeadLetter[]): Promise<number> {
  if (letters.length === 0) return 0;
  const withFingerprints = letters.map((l) => ({ ...l, fingerprint: recordFingerprint(l.key, l.value) }));
  const done = await deps.deadLetters.alreadyDeadLettered(withFingerprints);
  const fresh = withFingerprints.filter((l) => !done(l));
  if (fresh.length === 0) return 0;
  logger.warn('dead-lettering records', {
    count: fresh.length,
    reasons: [...new Set(fresh.map((l) => l.reason))],
    origins: fresh.slice(0, 20).map((l) => `${l.origin.topic}/${l.origin.partition}@${l.origin.offset}`),
  });
  await deps.log.send(deps.config.kafka.topics.eventsDlq, fresh.map(deadLetterMessage));
  await deps.deadLetters.markDeadLettered(
    fresh.map((l) => ({
      origin: l.origin,
      tenantId: l.tenantId,
      fingerprint: l.fingerprint,
      attempts: l.attempts,
      error: l.error,
    })),
  );
  return fresh.length;
}
