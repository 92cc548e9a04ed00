// "data as of 10:59:58 (3 s ago)": how far the pipeline has processed this tenant's events.
import { formatAgo, formatClock, formatDateTime } from '../lib/format';
import { useNow } from '../lib/useNow';

/** Older than this and the indicator turns into a warning. */
const STALE_AFTER_MS = 60_000;

export function FreshnessIndicator({ dataAsOf, pending }: { dataAsOf: string | null; pending: boolean }) {
  const now = useNow(1_000);
  if (dataAsOf === null) {
    return <p className="freshness freshness--unknown">{pending ? 'Checking data freshness…' : 'No processed data yet'}</p>;
  }
  const ageMs = now - Date.parse(dataAsOf);
  const stale = ageMs > STALE_AFTER_MS;
  return (
    <p className={stale ? 'freshness freshness--stale' : 'freshness'} title="Oldest point up to which the charts include processed events">
      <span className="freshness__dot" aria-hidden="true" />
      data as of{' '}
      <time dateTime={dataAsOf} title={formatDateTime(dataAsOf)}>
        {formatClock(dataAsOf)}
      </time>{' '}
      ({formatAgo(ageMs)})
    </p>
  );
}
