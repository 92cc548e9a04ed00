// Which failures are worth trying again: the API unreachable (status 0), a server error (5xx) or a rate limit (429).
// Any other 4xx says the request itself is wrong (or the key), so repeating it, by hand or automatically, cannot help.
import { isApiError } from './client';

/** While a query fails with a retryable error it is asked again this often, without anyone pressing Retry. */
export const AUTO_RETRY_MS = 3_000;

export function isRetryable(error: unknown): boolean {
  if (!isApiError(error)) return false;
  return error.status === 0 || error.status === 429 || error.status >= 500;
}

/** TanStack Query's `retry` option: retryable errors up to twice (then AUTO_RETRY_MS takes over), never others. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  return isRetryable(error) && failureCount < 2;
}

/**
 * A `refetchInterval`: every `liveMs` while live, and while the query failed with a retryable error every
 * AUTO_RETRY_MS even when paused, so a panel recovers by itself once the API is back.
 */
export function refetchEvery(liveMs: number | false) {
  return (query: { state: { status: string; error: unknown } }): number | false => {
    if (query.state.status === 'error' && isRetryable(query.state.error))
      return liveMs === false ? AUTO_RETRY_MS : Math.min(liveMs, AUTO_RETRY_MS);
    return liveMs;
  };
}
