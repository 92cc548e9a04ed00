// The footer buttons of a paged list (an infinite query): "Load more" while there is a next page, `done` once there
// is none, and the error of a failed next page with a retry; "Refresh", which reloads the pages shown. The first
// page's states are QueryView's.
import { ErrorState } from './PanelStates';

/** The part of an infinite query the button reads. */
export interface Pager {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  isFetchNextPageError: boolean;
  error: unknown;
  fetchNextPage: () => unknown;
}

/** The part of an infinite query the refresh button reads. */
export interface Refreshing {
  isFetching: boolean;
  isFetchingNextPage: boolean;
  refetch: () => unknown;
}

export function LoadMore({
  query,
  errorTitle = 'Could not load more',
  done = 'No more.',
}: {
  query: Pager;
  errorTitle?: string;
  /** What shows when there is no next page; null: nothing. */
  done?: string | null;
}) {
  return (
    <>
      {query.isFetchNextPageError && (
        <ErrorState title={errorTitle} error={query.error} onRetry={() => void query.fetchNextPage()} />
      )}
      {query.hasNextPage ? (
        <button
          type="button"
          className="button"
          onClick={() => void query.fetchNextPage()}
          disabled={query.isFetchingNextPage}
        >
          {query.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      ) : (
        done !== null && <span className="muted">{done}</span>
      )}
    </>
  );
}

/** Reloads the pages shown (and whatever else `onRefresh` names; the query's refetch by default). */
export function RefreshButton({ query, onRefresh }: { query: Refreshing; onRefresh?: () => void }) {
  return (
    <button
      type="button"
      className="button button--ghost"
      onClick={onRefresh ?? (() => void query.refetch())}
      disabled={query.isFetching}
    >
      {query.isFetching && !query.isFetchingNextPage ? 'Refreshing…' : 'Refresh'}
    </button>
  );
}
