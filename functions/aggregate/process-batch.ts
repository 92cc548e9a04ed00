// The aggregate step (ARCHITECTURE rule 2): exactly-once effect of a batch of raw events, then Redis and notices.
import { decodeRawEvent, type RawEvent } from '../../core/raw-event';
import { firstCopies, planCountDeltas, touchedKeys, withinRetention } from '../../core/rollups';
import type { DecodedRecord } from '../../core/msk-event';
import type { Adapters } from '../../adapters';
import { readRollups, writeBatch } from '../../adapters/postgres/aggregate-store';
import { logger } from '../../adapters/logger';

export interface BatchOutcome {
  records: number;
  stored: number;
  duplicates: number;
  expired: number;
  deadLettered: number;
}

type Deps = Pick<Adapters, 'config' | 'sql' | 'rollupCache' | 'partitions' | 'log' | 'now'>;

/** Infrastructure failures throw (the batch is retried, the partition waits); bad records are dead-lettered. */
export async function processBatch(deps: Deps, records: DecodedRecord[]): Promise<BatchOutcome> {
  const events: RawEvent[] = [];
  const poison: { record: DecodedRecord; reason: string }[] = [];
  for (const record of records) {
    const decoded = record.value === null ? { ok: false as const, reason: 'empty_value' } : decodeRawEvent(record.value);
    if (decoded.ok) events.push(decoded.event);
    else poison.push({ record, reason: decoded.reason });
  }
  if (poison.length > 0) await deadLetter(deps, poison);

  const live = withinRetention(events, deps.now(), deps.config.limits.retentionMs);
  const candidates = firstCopies(live);
  await deps.partitions.ensureFor(candidates.map((e) => e.timestampMs));
  const { fresh } = await writeBatch(deps.sql, candidates, (newEvents) => planCountDeltas(newEvents));

  // Every bucket the batch touched, new events or not: a retry after a failed Redis write repairs Redis.
  const values = await readRollups(deps.sql, touchedKeys(candidates));
  await deps.rollupCache.write(values);
  const newest = new Map<string, number>();
  for (const e of candidates) newest.set(e.tenantId, Math.max(newest.get(e.tenantId) ?? 0, e.receivedAtMs));
  for (const [tenantId, at] of newest) await deps.rollupCache.advanceProgress(tenantId, at);
  await publishNotices(deps, candidates);

  const outcome = {
    records: records.length,
    stored: fresh.length,
    duplicates: live.length - fresh.length,
    expired: events.length - live.length,
    deadLettered: poison.length,
  };
  // Request ids from the ingest side join these logs to the requests that produced the events.
  const requestIds = [...new Set(records.map((r) => r.headers.request_id).filter(Boolean))].slice(0, 20);
  logger.debug('aggregate batch', { outcome, request_ids: requestIds });
  return outcome;
}

async function deadLetter(deps: Deps, poison: { record: DecodedRecord; reason: string }[]): Promise<void> {
  logger.warn('dead-lettering records', { count: poison.length, reasons: [...new Set(poison.map((p) => p.reason))] });
  await deps.log.send(
    deps.config.kafka.topics.eventsDlq,
    poison.map(({ record, reason }) => ({
      key: record.key ?? '',
      value: record.value ?? '',
      headers: { ...record.headers, error: reason, source_topic: record.topic, source_partition: String(record.partition), source_offset: String(record.offset) },
    })),
  );
}

/** One notice per (tenant, event type) with the 10s buckets touched, for the alert engine (rule 8). */
async function publishNotices(deps: Deps, events: RawEvent[]): Promise<void> {
  const notices = new Map<string, { tenant_id: string; project_id: string; event_type: string; buckets: Set<number> }>();
  for (const k of touchedKeys(events, ['10s'])) {
    const id = `${k.tenantId}\u0000${k.projectId}\u0000${k.eventType}`;
    const n = notices.get(id) ?? { tenant_id: k.tenantId, project_id: k.projectId, event_type: k.eventType, buckets: new Set<number>() };
    n.buckets.add(k.bucketMs);
    notices.set(id, n);
  }
  if (notices.size === 0) return;
  await deps.log.send(
    deps.config.kafka.topics.metricUpdates,
    [...notices.values()].map((n) => ({ key: n.tenant_id, value: JSON.stringify({ ...n, buckets: [...n.buckets].sort((a, b) => a - b) }) })),
  );
}
