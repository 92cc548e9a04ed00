// Scheduled maintenance (EventBridge in AWS, the scheduler tick locally): partitions ahead, retention, key-use flush,
// erasure jobs, consumer lag and the pipeline's caught_up_through.
import { lazyHandler, processAdapters } from '../process-adapters';
import type { Adapters } from '../../adapters';
import type { RetentionResult } from '../../adapters/postgres/retention';
import { TEN_SECOND_KEEP_MS } from '../../core/rollups';
import { logger } from '../../adapters/logger';
import { createFreshnessCheck } from './freshness';
import type { FreshnessState } from '../../core/freshness';
import { runOpenErasures } from './erasure';

const DAYS_AHEAD = 3;
const SHORT_ROLLUPS = [{ interval: '10s', keepMs: TEN_SECOND_KEEP_MS }];

export function createMaintenanceHandler(deps: Adapters) {
  const checkFreshness = createFreshnessCheck(deps);
  return async (
    _event: unknown,
  ): Promise<
    {
      partitionsCreated: number;
      freshness: FreshnessState | null;
      erasures: { done: number; failed: number };
    } & RetentionResult
  > => {
    const now = deps.now();
    const partitionsCreated = await deps.partitions.ensureAhead(now, DAYS_AHEAD);
    const retention = await deps.dataRetention.applyRetention(now, deps.config.limits.retentionMs, SHORT_ROLLUPS);
    if (retention.droppedPartitions.length > 0 || retention.deletedEventIds > 0)
      logger.info('retention applied', { retention });
    // Erased events' hashed ids are kept as long as dedupe ids are (docs/architecture.md#erasure).
    await deps.erasures.purgeErasedIds(now - deps.config.limits.retentionMs);
    await deps.keys.flush();
    // Kafka being unreachable must not stop the Postgres housekeeping; freshness then simply does not advance.
    const freshness = await checkFreshness().catch((error: unknown) => {
      logger.warn('freshness check failed', { error: error as Error });
      return null;
    });
    // Erasure jobs (DELETE /v1/users/{id}), last as they may take a while: each resumes where an earlier run stopped.
    const erasures = await runOpenErasures(deps);
    return { partitionsCreated, ...retention, freshness, erasures };
  };
}

export const handler = lazyHandler(() => createMaintenanceHandler(processAdapters()));
