// TanStack Query options, one factory per feature. Keys go from general to specific:
// [feature, key fingerprint, kind, {every variable the query uses}].
// The key fingerprint separates tenants (a key belongs to one tenant) without putting
// the secret itself into the cache keys.
import { infiniteQueryOptions, keepPreviousData, queryOptions } from '@tanstack/react-query';
import type { Session } from '../auth/session';
import { resolveRange } from '../lib/timeRange';
import { isApiError, type QueryParams } from './client';
import { listEventTypes } from './catalog';
import { fetchEventsPage } from './events';
import { fetchMetricSeries } from './metrics';
import { api } from './resources';
import { analyticsApi } from './analytics';
import type { FunnelPersonsBody, FunnelQueryBody, MetricInterval, MetricName, RetentionQueryBody } from './types';

export const catalogQueries = {
  all: (session: Session) => ['catalog', session.keyFingerprint] as const,
  eventTypes: (session: Session) =>
    queryOptions({
      queryKey: [...catalogQueries.all(session), 'event-types'] as const,
      queryFn: ({ signal }) => listEventTypes(session.client, signal),
      staleTime: 30_000,
    }),
  full: (session: Session) =>
    queryOptions({
      queryKey: [...catalogQueries.all(session), 'full'] as const,
      queryFn: ({ signal }) => api.catalog(session.client, signal),
    }),
  violations: (session: Session) =>
    queryOptions({
      queryKey: [...catalogQueries.all(session), 'violations'] as const,
      queryFn: ({ signal }) => api.violations(session.client, signal),
    }),
};

export interface SeriesQuery {
  eventType: string;
  metric: MetricName;
  interval: MetricInterval;
  /** Relative range ("1h", "7d"). */
  range: string;
  project?: string;
  filter?: Readonly<Record<string, string>>;
  /** Absolute bounds (ISO) instead of `range`. */
  from?: string;
  to?: string;
  compare?: boolean;
  breakdown?: { path: string; limit?: number };
}

/** [from, to) of a series query: its absolute bounds, else its relative range ending at `nowMs`. */
export function boundsOf(
  query: Pick<SeriesQuery, 'range' | 'from' | 'to'>,
  nowMs: number,
): { from: string; to: string } {
  return query.from !== undefined && query.to !== undefined
    ? { from: query.from, to: query.to }
    : resolveRange(query.range, nowMs);
}

export const metricsQueries = {
  all: (session: Session) => ['metrics', session.keyFingerprint] as const,
  series: (session: Session, query: SeriesQuery) =>
    queryOptions({
      queryKey: [...metricsQueries.all(session), 'series', query] as const,
      // The key names the relative range; absolute bounds are resolved at fetch time, so
      // each live refetch slides the window without creating a cache entry per tick.
      queryFn: ({ signal }) => fetchMetricSeries(session.client, { ...query, ...boundsOf(query, Date.now()) }, signal),
      // Switching range or interval keeps the old chart until the new one arrives.
      placeholderData: keepPreviousData,
    }),
};

export const eventsQueries = {
  all: (session: Session) => ['events', session.keyFingerprint] as const,
  /** `range` (relative, e.g. "1h") adds `from` = now − range when a first page is fetched. */
  list: (session: Session, { limit, filters, range }: { limit: number; filters: QueryParams; range?: string }) =>
    infiniteQueryOptions({
      queryKey: [...eventsQueries.all(session), 'list', { limit, filters, range }] as const,
      queryFn: ({ pageParam, signal }) =>
        fetchEventsPage(
          session.client,
          {
            limit,
            cursor: pageParam,
            filters: range === undefined ? filters : { ...filters, from: resolveRange(range, Date.now()).from },
          },
          signal,
        ),
      initialPageParam: null as string | null,
      getNextPageParam: (lastPage) => lastPage.next_cursor,
    }),
};

/** Counting stops here ("more than 5 000 events"): GET /v1/events has no total, so the count pages through. */
export const EVENT_COUNT_CAP = 5_000;

export const eventCountQueries = {
  /** How many events match the filters (up to EVENT_COUNT_CAP), by paging GET /v1/events 1 000 at a time. */
  count: (session: Session, filters: QueryParams) =>
    queryOptions({
      queryKey: [...eventsQueries.all(session), 'count', { filters }] as const,
      queryFn: async ({ signal }) => {
        let count = 0;
        let cursor: string | null = null;
        // A page may be short (the scan stopped early) and still have a cursor; the request cap bounds the work.
        for (let requests = 0; requests < 20; requests += 1) {
          const page = await fetchEventsPage(session.client, { limit: 1_000, cursor, filters }, signal);
          count += page.events.length;
          cursor = page.next_cursor;
          if (cursor === null) return { count, capped: false };
          if (count >= EVENT_COUNT_CAP) break;
        }
        return { count, capped: true };
      },
      staleTime: 10_000,
    }),
};

export const statusQueries = {
  status: (session: Session) =>
    queryOptions({
      queryKey: ['status', session.keyFingerprint] as const,
      queryFn: ({ signal }) => api.status(session.client, signal),
    }),
};

export const tenantQueries = {
  /** The tenant's settings (its time zone, retention). When it cannot be read the shell falls back to UTC, visibly. */
  tenant: (session: Session) =>
    queryOptions({
      queryKey: ['tenant', session.keyFingerprint] as const,
      queryFn: ({ signal }) => api.tenant(session.client, signal),
      staleTime: 60_000,
      retry: false,
    }),
};

export const dashboardQueries = {
  all: (session: Session) =>
    queryOptions({
      queryKey: ['dashboards', session.keyFingerprint] as const,
      queryFn: ({ signal }) => api.dashboards(session.client, signal),
    }),
};

export const adminQueries = {
  projects: (session: Session) =>
    queryOptions({
      queryKey: ['projects', session.keyFingerprint] as const,
      queryFn: ({ signal }) => api.projects(session.client, signal),
      staleTime: 30_000,
    }),
  apiKeys: (session: Session) =>
    queryOptions({
      queryKey: ['api-keys', session.keyFingerprint] as const,
      queryFn: ({ signal }) => api.apiKeys(session.client, signal),
    }),
  /**
   * Whether the key is admin: GET /v1/api-keys needs the admin scope (403 for a read key).
   * Asked once per session; the UI hides or disables admin actions for read keys.
   */
  scope: (session: Session) =>
    queryOptions({
      queryKey: ['scope', session.keyFingerprint] as const,
      queryFn: async ({ signal }): Promise<'admin' | 'read'> => {
        try {
          await api.apiKeys(session.client, signal);
          return 'admin';
        } catch (error) {
          if (isApiError(error) && error.status === 403) return 'read';
          throw error;
        }
      },
      staleTime: Infinity,
    }),
};

export const alertQueries = {
  rules: (session: Session) =>
    queryOptions({
      queryKey: ['alert-rules', session.keyFingerprint] as const,
      queryFn: ({ signal }) => api.alertRules(session.client, signal),
    }),
  history: (session: Session, ruleId: string | null) =>
    queryOptions({
      queryKey: ['alerts', session.keyFingerprint, { ruleId }] as const,
      queryFn: ({ signal }) => api.alerts(session.client, { rule_id: ruleId ?? undefined, limit: 50 }, signal),
    }),
};

// ---------- funnels, retention, people (issue #18) ----------

export const FUNNEL_PERSONS_PAGE = 50;
export const PEOPLE_PAGE = 25;
export const TIMELINE_PAGE = 50;

export const funnelQueries = {
  all: (session: Session) => ['funnels', session.keyFingerprint] as const,
  /** `body` is built from the form when it is run; a relative range is resolved then (the key names the body). */
  result: (session: Session, body: FunnelQueryBody) =>
    queryOptions({
      queryKey: [...funnelQueries.all(session), 'result', body] as const,
      queryFn: ({ signal }) => analyticsApi.funnel(session.client, body, signal),
      staleTime: 60_000,
      placeholderData: keepPreviousData,
    }),
  /** The persons at a step, paged by cursor; `base` is the persons body without cursor. */
  persons: (session: Session, base: FunnelPersonsBody) =>
    infiniteQueryOptions({
      queryKey: [...funnelQueries.all(session), 'persons', base] as const,
      queryFn: ({ pageParam, signal }) =>
        analyticsApi.funnelPersons(session.client, pageParam === null ? base : { ...base, cursor: pageParam }, signal),
      initialPageParam: null as string | null,
      getNextPageParam: (last) => last.next_cursor,
      staleTime: 60_000,
    }),
};

export const retentionQueries = {
  all: (session: Session) => ['retention', session.keyFingerprint] as const,
  result: (session: Session, body: RetentionQueryBody) =>
    queryOptions({
      queryKey: [...retentionQueries.all(session), 'result', body] as const,
      queryFn: ({ signal }) => analyticsApi.retention(session.client, body, signal),
      staleTime: 60_000,
      placeholderData: keepPreviousData,
    }),
};

export const peopleQueries = {
  all: (session: Session) => ['people', session.keyFingerprint] as const,
  search: (session: Session, q: string, project: string | null) =>
    infiniteQueryOptions({
      queryKey: [...peopleQueries.all(session), 'search', { q, project }] as const,
      queryFn: ({ pageParam, signal }) =>
        analyticsApi.searchPeople(session.client, { q, project, cursor: pageParam, limit: PEOPLE_PAGE }, signal),
      initialPageParam: null as string | null,
      getNextPageParam: (last) => last.next_cursor,
    }),
  person: (session: Session, id: string, project: string | null) =>
    queryOptions({
      queryKey: [...peopleQueries.all(session), 'person', { id, project }] as const,
      queryFn: ({ signal }) => analyticsApi.person(session.client, id, project, signal),
    }),
  timeline: (session: Session, id: string, project: string | null) =>
    infiniteQueryOptions({
      queryKey: [...peopleQueries.all(session), 'timeline', { id, project }] as const,
      queryFn: ({ pageParam, signal }) =>
        analyticsApi.personEvents(session.client, { id, project, cursor: pageParam, limit: TIMELINE_PAGE }, signal),
      initialPageParam: null as string | null,
      getNextPageParam: (last) => last.next_cursor,
    }),
  erasure: (session: Session, jobId: string) =>
    queryOptions({
      queryKey: ['erasures', session.keyFingerprint, { jobId }] as const,
      queryFn: ({ signal }) => analyticsApi.erasure(session.client, jobId, signal),
    }),
};
