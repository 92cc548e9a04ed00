// The aggregate step (docs/architecture.md#rule-2-at-least-once-in-exactly-once-effect and docs/architecture.md#rule-3-offsets-move-only-after-the-effect): exactly-once effect of a batch of raw events, then Redis and
// notices; records that fail on their own are isolated, counted and, after N attempts, dead-lettered.
import { decodeRawEvent, type RawEvent } from '../../core/raw-event';
import { deadLetter } from '../../core/outcome';
import {
  firstCopies,
  planCountDeltas,
  touchedKeys,
  touchedValueKeys,
  withinRetention,
  withZoneGenerations,
  type RollupDelta,
  type RollupKey,
} from '../../core/rollups';
import { isolateFailures } from '../../core/isolate-failures';
import { isRecordFailure } from '../../core/failure-kind';
import type { DecodedRecord } from '../../core/msk-event';
import type { Adapters } from '../../adapters';
import { logger } from '../../adapters/logger';
import { deadLetterUndecodable, settleFailures } from './dead-letter';

export interface BatchOutcome {
  records: number;
  stored: number;
  duplicates: number;
  expired: number;
  /** Records written to events_dlq by this invocation (undecodable ones, and those out of attempts). */
  deadLettered: number;
}

export type Deps = Pick<
  Adapters,
  'config' | 'aggregateStore' | 'deadLetters' | 'rollupCache' | 'partitions' | 'log' | 'retention' | 'now'
>;

interface Decoded {
  record: DecodedRecord;
  event: RawEvent;
}

/**
 * Infrastructure failures throw at once (the host retries the batch, the partition waits). A record that
 * cannot be decoded is dead-lettered at once. A record whose processing fails on its own is found by
 * splitting the batch; the rest of the batch is stored, and the handler throws until the record has failed
 * `aggregateMaxRecordAttempts` times, then dead-letters it and succeeds.
 */
export async function processBatch(deps: Deps, records: DecodedRecord[]): Promise<BatchOutcome> {
  const decoded: Decoded[] = [];
  const undecodable: { record: DecodedRecord; reason: string }[] = [];
  for (const record of records) {
    const result = record.value === null ? deadLetter('empty_value') : decodeRawEvent(record.value);
    if (result.kind === 'ok') decoded.push({ record, event: result.value });
    else undecodable.push({ record, reason: result.reason });
  }
  let deadLettered = await deadLetterUndecodable(deps, undecodable);

  const { results, failures } = await isolateFailures(
    decoded,
    (part) =>
      aggregateEvents(
        deps,
        part.map((d) => d.event),
      ),
    isRecordFailure,
  );
  // Throws while any failing record has attempts left; the healthy records' effects above are committed.
  deadLettered += await settleFailures(
    deps,
    failures.map((f) => ({ record: f.record.record, tenantId: f.record.event.tenantId, error: f.error })),
  );

  const outcome: BatchOutcome = {
    records: records.length,
    stored: sum(results, 'stored'),
    duplicates: sum(results, 'duplicates'),
    expired: sum(results, 'expired'),
    deadLettered,
  };
  // Request ids from the ingest side join these logs to the requests that produced the events.
  const requestIds = [...new Set(records.map((r) => r.headers.request_id).filter(Boolean))].slice(0, 20);
  const traceIds = [...new Set(records.map((r) => r.headers['x-amzn-trace-id']).filter(Boolean))].slice(0, 20);
  logger.debug('aggregate batch', {
    outcome,
    parts: results.length,
    request_ids: requestIds,
    ...(traceIds.length > 0 && { xray_trace_ids: traceIds }),
  });
  return outcome;
}

type PartOutcome = Pick<BatchOutcome, 'stored' | 'duplicates' | 'expired'>;

const sum = (parts: PartOutcome[], k: keyof PartOutcome) => parts.reduce((n, p) => n + p[k], 0);

/** Rule 2 for some decoded events: one transaction in Postgres, then Redis and the alert notices. */
async function aggregateEvents(deps: Deps, events: RawEvent[]): Promise<PartOutcome> {
  const retention = await deps.retention.ofMany(events.map((e) => e.tenantId));
  const live = withinRetention(events, deps.now(), (t) => retention.get(t)!);
  const candidates = firstCopies(live);
  await deps.partitions.ensureFor(candidates.map((e) => e.timestampMs));
  let planned: { events: RawEvent[]; deltas: RollupDelta[] } | undefined;
  const { fresh, bucketOf, zones } = await deps.aggregateStore.writeBatch(candidates, (newEvents, b) => {
    const deltas = planCountDeltas(newEvents, undefined, b);
    planned = { events: newEvents, deltas };
    return deltas;
  });

  // Every bucket the batch touched, new events or not: a retry after a failed Redis write repairs Redis.
  // Counts and sums in one read, unique-user estimates (of the sketches, never an HLL of Redis's own) in another.
  // When every candidate was new (the usual batch), the count keys are those of the deltas just written.
  const countKeys: RollupKey[] =
    planned && planned.events.length === candidates.length
      ? planned.deltas.map(({ delta: _delta, ...key }) => key)
      : touchedKeys(candidates, undefined, bucketOf);
  const { sums, sketches } = touchedValueKeys(candidates, undefined, bucketOf);
  const [values, estimates] = await Promise.all([
    deps.aggregateStore.readRollups([...countKeys, ...sums]),
    deps.aggregateStore.readSketchEstimates(sketches),
  ]);
  // 1h/1d values go under the zone generation read with the batch's locks (docs/architecture.md#time-zones).
  await deps.rollupCache.write(withZoneGenerations([...values, ...estimates], zones));
  const newest = new Map<string, number>();
  for (const e of candidates) newest.set(e.tenantId, Math.max(newest.get(e.tenantId) ?? 0, e.receivedAtMs));
  for (const [tenantId, at] of newest) await deps.rollupCache.advanceProgress(tenantId, at);
  await publishNotices(deps, countKeys);
  return { stored: fresh.length, duplicates: live.length - fresh.length, expired: events.length - live.length };
}

/** One notice per (tenant, event type) with the 10s buckets touched, for the alert engine (docs/architecture.md#rule-8-alerts-read-the-truth-once-it-is-written). */
async function publishNotices(deps: Deps, touched: readonly RollupKey[]): Promise<void> {
  const notices = new Map<
    string,
    { tenant_id: string; project_id: string; event_type: string; buckets: Set<number> }
  >();
  // 10s buckets are epoch-aligned in every zone (tenant-zones.ts bucketOfZones).
  for (const k of touched) {
    if (k.interval !== '10s') continue;
    const id = `${k.tenantId}\u0000${k.projectId}\u0000${k.eventType}`;
    const n = notices.get(id) ?? {
      tenant_id: k.tenantId,
      project_id: k.projectId,
      event_type: k.eventType,
      buckets: new Set<number>(),
    };
    n.buckets.add(k.bucketMs);
    notices.set(id, n);
  }
  if (notices.size === 0) return;
  await deps.log.send(
    deps.config.kafka.topics.metricUpdates,
    [...notices.values()].map((n) => ({
      key: n.tenant_id,
      value: JSON.stringify({ ...n, buckets: [...n.buckets].sort((a, b) => a - b) }),
    })),
  );
}
