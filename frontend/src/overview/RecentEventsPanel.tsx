// The newest events, a row expands to the event's full JSON; "Load more" follows next_cursor.
import { useInfiniteQuery, useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { eventsQueries } from '../api/queries';
import type { EventsPage, StoredEvent } from '../api/types';
import { useSession } from '../auth/AuthProvider';
import { ErrorState, LoadingState } from '../components/PanelStates';
import { SendEventHint } from '../components/SendEventHint';
import { LIVE_REFRESH_MS, RECENT_EVENTS_PAGE_SIZE } from '../config';
import { formatDateTime } from '../lib/format';

/** Pages in arrival order, without repeats (the cursor promises none; a refetch must not break React keys). */
export function flattenPages(data: InfiniteData<EventsPage> | undefined): StoredEvent[] {
  const seen = new Set<string>();
  const events: StoredEvent[] = [];
  for (const page of data?.pages ?? []) {
    for (const event of page.events) {
      if (seen.has(event.event_id)) continue;
      seen.add(event.event_id);
      events.push(event);
    }
  }
  return events;
}

export function RecentEventsPanel({ live }: { live: boolean }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const options = eventsQueries.recent(session, { limit: RECENT_EVENTS_PAGE_SIZE });
  const query = useInfiniteQuery({
    ...options,
    // A live refetch re-reads every loaded page; keep it to the first page only.
    refetchInterval: (q) => (live && (q.state.data?.pages.length ?? 0) <= 1 ? LIVE_REFRESH_MS : false),
  });
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const events = useMemo(() => flattenPages(query.data), [query.data]);
  const pageCount = query.data?.pages.length ?? 0;

  function toggle(eventId: string) {
    setExpanded((current) => {
      const next = new Set(current);
      if (next.has(eventId)) next.delete(eventId);
      else next.add(eventId);
      return next;
    });
  }

  function backToLatest() {
    queryClient.setQueryData(options.queryKey, (data) =>
      data === undefined ? data : { pages: data.pages.slice(0, 1), pageParams: data.pageParams.slice(0, 1) },
    );
    void query.refetch();
  }

  return (
    <section className="section" aria-labelledby="recent-events-heading">
      <div className="section__header">
        <h2 id="recent-events-heading">Recent events</h2>
        <p className="muted">Newest first · select a row to see the full event</p>
      </div>

      {query.isPending ? (
        <LoadingState label="Loading recent events…" />
      ) : query.data === undefined ? (
        <ErrorState title="Could not load recent events" error={query.error} onRetry={() => void query.refetch()} />
      ) : events.length === 0 ? (
        <SendEventHint />
      ) : (
        <div className="panel panel--flush">
          <div className="table-scroll">
            <table className="events-table">
              <caption className="visually-hidden">Recent events, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Event type</th>
                  <th scope="col">Project</th>
                  <th scope="col">User ID</th>
                  <th scope="col">Event ID</th>
                </tr>
              </thead>
              <tbody>
                {events.map((event) => (
                  <EventRows key={event.event_id} event={event} expanded={expanded.has(event.event_id)} onToggle={toggle} />
                ))}
              </tbody>
            </table>
          </div>

          <div className="panel__footer">
            {query.isFetchNextPageError && (
              <ErrorState title="Could not load more events" error={query.error} onRetry={() => void query.fetchNextPage()} />
            )}
            {query.isRefetchError && (
              <ErrorState title="Could not refresh recent events" error={query.error} onRetry={() => void query.refetch()} />
            )}
            {query.hasNextPage ? (
              <button type="button" className="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
                {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            ) : (
              <span className="muted">No older events.</span>
            )}
            {live && pageCount > 1 && (
              <span className="muted">
                Live updates of this table are paused while older pages are shown.{' '}
                <button type="button" className="button button--link" onClick={backToLatest}>
                  Back to latest
                </button>
              </span>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

interface EventRowsProps {
  event: StoredEvent;
  expanded: boolean;
  onToggle: (eventId: string) => void;
}

function EventRows({ event, expanded, onToggle }: EventRowsProps) {
  // event_id may hold spaces, which an id reference list cannot.
  const detailId = useId();
  function handleRowClick() {
    // Selecting text in a row (to copy an id) should not toggle it.
    if ((window.getSelection()?.toString() ?? '') !== '') return;
    onToggle(event.event_id);
  }
  return (
    <>
      <tr className={expanded ? 'events-table__row events-table__row--open' : 'events-table__row'} onClick={handleRowClick}>
        <td>
          <button
            type="button"
            className="row-toggle"
            aria-expanded={expanded}
            aria-controls={expanded ? detailId : undefined}
            onClick={(clickEvent) => {
              clickEvent.stopPropagation();
              onToggle(event.event_id);
            }}
          >
            <span className="row-toggle__chevron" aria-hidden="true" />
            <time dateTime={event.timestamp}>{formatDateTime(event.timestamp)}</time>
          </button>
        </td>
        <td>{event.event_type}</td>
        <td>{event.project}</td>
        <td>{event.user_id ?? <span className="muted">—</span>}</td>
        <td className="mono">{event.event_id}</td>
      </tr>
      {expanded && (
        <tr className="events-table__detail">
          <td colSpan={5}>
            <pre id={detailId} className="code-block" tabIndex={0} aria-label={`Event ${event.event_id} as JSON`}>
              <code>{JSON.stringify(event, null, 2)}</code>
            </pre>
          </td>
        </tr>
      )}
    </>
  );
}
