// The loading, error and empty states every panel uses.
import type { ReactNode } from 'react';
import { isApiError } from '../api/client';
import { AUTO_RETRY_MS, isRetryable } from '../api/retry';

export function LoadingState({ label }: { label: string }) {
  return (
    <div className="panel-state panel-state--loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

/** One entry of an error envelope's details: {path, message}, {index, code, message} or anything else. */
export function describeDetail(detail: unknown): string {
  if (typeof detail !== 'object' || detail === null) return String(detail);
  const { path, message, field, index } = detail as {
    path?: unknown;
    message?: unknown;
    field?: unknown;
    index?: unknown;
  };
  const where = Array.isArray(path)
    ? path.join('.')
    : typeof path === 'string'
      ? path
      : typeof field === 'string'
        ? field
        : typeof index === 'number'
          ? `#${index}`
          : '';
  if (typeof message === 'string') return where === '' ? message : `${where}: ${message}`;
  return JSON.stringify(detail);
}

/**
 * An error with its envelope. Retry is offered only for retryable errors (network, 5xx, 429: api/retry.ts); a 400
 * would fail the same way again. `autoRetry`: the query polls by itself (the default refetchInterval), so say so.
 */
export function ErrorState({
  title,
  error,
  onRetry,
  autoRetry = false,
}: {
  title: string;
  error: unknown;
  onRetry?: () => void;
  autoRetry?: boolean;
}) {
  const message = error instanceof Error ? error.message : 'Unknown error.';
  const retryable = isRetryable(error);
  return (
    <div className="panel-state panel-state--error" role="alert">
      <p className="panel-state__title">{title}</p>
      <p>{message}</p>
      {isApiError(error) && error.details.length > 0 && (
        <ul className="panel-state__details">
          {error.details.slice(0, 10).map((detail, i) => (
            <li key={i}>{describeDetail(detail)}</li>
          ))}
        </ul>
      )}
      {isApiError(error) && (
        <p className="panel-state__meta">
          <code>{error.code}</code>
          {error.status > 0 && <> · HTTP {error.status}</>}
          {error.requestId !== null && (
            <>
              {' '}
              · request id <code>{error.requestId}</code>
            </>
          )}
        </p>
      )}
      {retryable && autoRetry && (
        <p className="panel-state__meta">Trying again automatically every {AUTO_RETRY_MS / 1000} s…</p>
      )}
      {onRetry && retryable && (
        <button type="button" className="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="panel-state panel-state--empty">
      <p className="panel-state__title">{title}</p>
      {children}
    </div>
  );
}

/** What QueryView needs of a TanStack query result. */
interface QueryLike<T> {
  isPending: boolean;
  data: T | undefined;
  error: unknown;
  refetch: () => unknown;
}

/**
 * The states of one query in one place: loading, error (with retry), empty, then `children(data)`.
 * `empty` is shown when `isEmpty(data)` (default: an empty array).
 */
export function QueryView<T>({
  query,
  loading,
  errorTitle,
  empty,
  isEmpty = (data) => Array.isArray(data) && data.length === 0,
  children,
}: {
  query: QueryLike<T>;
  loading: string;
  errorTitle: string;
  empty?: ReactNode;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <LoadingState label={loading} />;
  if (query.data === undefined)
    return <ErrorState title={errorTitle} error={query.error} autoRetry onRetry={() => void query.refetch()} />;
  if (empty !== undefined && isEmpty(query.data)) return <>{empty}</>;
  return <>{children(query.data)}</>;
}
