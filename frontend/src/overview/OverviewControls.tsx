// Range, interval, live refresh on/off and refresh-now for the overview.
import type { MetricInterval } from '../api/types';
import { OptionGroup } from '../components/OptionGroup';
import { INTERVAL_OPTIONS, RANGE_OPTIONS, type RangeId } from '../lib/timeRange';

export interface OverviewSettings {
  range: RangeId;
  interval: MetricInterval;
  live: boolean;
}

export const DEFAULT_OVERVIEW_SETTINGS: OverviewSettings = { range: '1h', interval: '1m', live: true };

interface OverviewControlsProps {
  settings: OverviewSettings;
  onChange: (settings: OverviewSettings) => void;
  onRefresh: () => void;
  refreshing: boolean;
}

export function OverviewControls({ settings, onChange, onRefresh, refreshing }: OverviewControlsProps) {
  return (
    <section className="toolbar" aria-label="Display options">
      <OptionGroup legend="Last" options={RANGE_OPTIONS} value={settings.range} onChange={(range) => onChange({ ...settings, range })} />
      <OptionGroup
        legend="Interval"
        options={INTERVAL_OPTIONS}
        value={settings.interval}
        onChange={(interval) => onChange({ ...settings, interval })}
      />
      <div className="toolbar__actions">
        <button
          type="button"
          className={settings.live ? 'button button--live' : 'button'}
          aria-pressed={settings.live}
          onClick={() => onChange({ ...settings, live: !settings.live })}
        >
          <span className={settings.live ? 'live-dot live-dot--on' : 'live-dot'} aria-hidden="true" />
          {settings.live ? 'Live (every 5 s) — pause' : 'Paused — resume live'}
        </button>
        <button type="button" className="button" onClick={onRefresh} disabled={refreshing}>
          {refreshing ? 'Refreshing…' : 'Refresh now'}
        </button>
      </div>
    </section>
  );
}
