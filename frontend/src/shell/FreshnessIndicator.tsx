// "data as of 10:59:58 (3 s ago)": how far the pipeline has processed this tenant's events.
import { formatAgo, formatClock, formatDateTime } from '../lib/format';
import { useNow } from '../lib/useNow';

/** Older than this and the indicator turns into a warning. */
const STALE_AFTER_MS = 60_000;

export function FreshnessIndicator({
  dataAsOf,
  pending,
  error = false,
}: {
  dataAsOf: string | null;
  pending: boolean;
  error?: boolean;
}) {
  const now = useNow(1_000);
  if (dataAsOf === null) {
    return (
      <p className="freshness freshness--unknown">
        {error ? 'Freshness unavailable' : pending ? 'Checking data freshness…' : 'No processed data yet'}
      </p>
    );
  }
  const ageMs = now - Date.parse(dataAsOf);
  const stale = ageMs > STALE_AFTER_MS;
  return (
    <p
      className={stale ? 'freshness freshness--stale' : 'freshness'}
      title="Time up to which the pipeline has processed your events (GET /v1/status)"
    >
      <span className="freshness__dot" aria-hidden="true" />
      data as of{' '}
      <time dateTime={dataAsOf} title={formatDateTime(dataAsOf)}>
        {formatClock(dataAsOf)}
      </time>{' '}
      ({formatAgo(ageMs)})
    </p>
  );
}
