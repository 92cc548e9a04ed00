// The loading, error and empty states every panel uses.
import type { ReactNode } from 'react';
import { isApiError } from '../api/client';

export function LoadingState({ label }: { label: string }) {
  return (
    <div className="panel-state panel-state--loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function ErrorState({ title, error, onRetry }: { title: string; error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : 'Unknown error.';
  return (
    <div className="panel-state panel-state--error" role="alert">
      <p className="panel-state__title">{title}</p>
      <p>{message}</p>
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
      {onRetry && (
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
