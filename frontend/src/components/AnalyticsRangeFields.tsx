// The range of an analytics query (funnels, retention): "last 7 d" … or Custom, with From/To typed on the tenant
// zone's wall clock (lib/queryRange.ts), the dashboard's ZonedTimeField for each end.
import { ZonedTimeField } from '../dashboards/TimeRangePicker';
import { ANALYTICS_RANGE_OPTIONS, type QueryRange } from '../lib/queryRange';
import { isoToZonedInput, zonedInputToIso } from '../lib/timezone';
import { useTimeZone } from '../shell/TimeZoneContext';
import { SelectField } from './form';

export function AnalyticsRangeFields({
  label,
  value,
  onChange,
}: {
  label: string;
  value: QueryRange;
  onChange: (patch: Partial<QueryRange>) => void;
}) {
  const { zone } = useTimeZone();
  return (
    <>
      <SelectField
        label={label}
        value={value.range}
        options={ANALYTICS_RANGE_OPTIONS}
        onChange={(range) => onChange({ range })}
      />
      {value.range === '' && (
        <>
          <ZonedTimeField
            label="From"
            zone={zone}
            value={isoToZonedInput(value.from, zone)}
            onChange={(v) => onChange({ from: zonedInputToIso(v, zone) })}
          />
          <ZonedTimeField
            label="To"
            zone={zone}
            value={isoToZonedInput(value.to, zone)}
            onChange={(v) => onChange({ to: zonedInputToIso(v, zone) })}
          />
        </>
      )}
    </>
  );
}
