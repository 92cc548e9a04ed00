// TanStack Query options, one factory per feature. Keys go from general to specific:
// [feature, key fingerprint, kind, {every variable the query uses}].
// The key fingerprint separates tenants (a key belongs to one tenant) without putting
// the secret itself into the cache keys.
import { infiniteQueryOptions, keepPreviousData, queryOptions } from '@tanstack/react-query';
import type { Session } from '../auth/session';
import { resolveRange, type RangeId } from '../lib/timeRange';
import { listEventTypes } from './catalog';
import { fetchEventsPage } from './events';
import { fetchMetricSeries } from './metrics';
import type { MetricInterval, MetricName } from './types';

export const catalogQueries = {
  all: (session: Session) => ['catalog', session.keyFingerprint] as const,
  eventTypes: (session: Session) =>
    queryOptions({
      queryKey: [...catalogQueries.all(session), 'event-types'] as const,
      queryFn: ({ signal }) => listEventTypes(session.client, signal),
    }),
};

export interface SeriesQuery {
  eventType: string;
  metric: MetricName;
  interval: MetricInterval;
  /** Relative range ("last 1 h"). */
  range: RangeId;
}

export const metricsQueries = {
  all: (session: Session) => ['metrics', session.keyFingerprint] as const,
  series: (session: Session, query: SeriesQuery) =>
    queryOptions({
      queryKey: [...metricsQueries.all(session), 'series', query] as const,
      // The key names the relative range; absolute bounds are resolved at fetch time, so
      // each live refetch slides the window without creating a cache entry per tick.
      queryFn: ({ signal }) =>
        fetchMetricSeries(
          session.client,
          { eventType: query.eventType, metric: query.metric, interval: query.interval, ...resolveRange(query.range, Date.now()) },
          signal,
        ),
      // Switching range or interval keeps the old chart until the new one arrives.
      placeholderData: keepPreviousData,
    }),
};

export const eventsQueries = {
  all: (session: Session) => ['events', session.keyFingerprint] as const,
  recent: (session: Session, { limit }: { limit: number }) =>
    infiniteQueryOptions({
      queryKey: [...eventsQueries.all(session), 'recent', { limit }] as const,
      queryFn: ({ pageParam, signal }) => fetchEventsPage(session.client, { limit, cursor: pageParam }, signal),
      initialPageParam: null as string | null,
      getNextPageParam: (lastPage) => lastPage.next_cursor,
    }),
};
