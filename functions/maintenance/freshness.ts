// The freshness check of each maintenance run: consumer lag per partition (logged for operators) and the
// aggregate group's caught_up_through (published for GET /v1/status and data_as_of).
import type { Adapters } from '../../adapters';
import { advanceFreshness, partitionLags, type FreshnessState } from '../../core/freshness';
import { logger } from '../../adapters/logger';

export type FreshnessDeps = Pick<Adapters, 'config' | 'consumerLag' | 'freshness' | 'now'>;

/** One check per call; `previous` remembers the last lags logged so an idle pipeline stays quiet. */
export function createFreshnessCheck(deps: FreshnessDeps) {
  let previous = '';
  return async (): Promise<FreshnessState> => {
    const { groups, topics } = deps.config.kafka;
    const state = await deps.freshness.read();
    const reading = await deps.consumerLag.read(groups.aggregate, topics.eventsRaw, deps.now);
    const next = advanceFreshness(state, reading);
    await deps.freshness.write(next);
    const lags = partitionLags(reading);
    const total = lags.reduce((n, l) => n + l.lag, 0);
    const summary = lags.map((l) => `${l.partition}:${l.lag}`).join(',');
    const fields = {
      consumer_lag: { group: groups.aggregate, topic: topics.eventsRaw, total, partitions: lags },
      caught_up_through: next.caughtUpThroughMs === null ? null : new Date(next.caughtUpThroughMs).toISOString(),
    };
    if (total > 0 || summary !== previous) logger.info('consumer lag', fields);
    else logger.debug('consumer lag', fields);
    previous = summary;
    return next;
  };
}
