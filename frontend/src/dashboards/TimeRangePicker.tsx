// The dashboard's time range: a relative one ("last 1 h", each widget's own by default) or an absolute [from, to)
// typed on the tenant zone's wall clock (also what a drag-to-zoom on a chart sets).
import { useState } from 'react';
import { Field, Select, type Choice } from '../components/form';
import { formatDateTime } from '../lib/format';
import { isoToZonedInput, zonedInputToIso } from '../lib/timezone';
import { useTimeZone } from '../shell/TimeZoneContext';
import { absoluteRangeProblem } from '../lib/timeRange';

/** A wall-clock time (to the second) in the tenant's zone: one end of an absolute range (here and AnalyticsRangeFields). */
export function ZonedTimeField({
  label,
  zone,
  value,
  onChange,
}: {
  label: string;
  zone: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <Field label={`${label} (${zone})`}>
      {(id) => (
        <input
          id={id}
          className="input"
          type="datetime-local"
          step={1}
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

export function TimeRangePicker({
  range,
  absolute,
  rangeOptions,
  onRange,
  onAbsolute,
}: {
  range: string | null;
  absolute: { from: string; to: string } | null;
  rangeOptions: readonly Choice[];
  onRange: (range: string | null) => void;
  onAbsolute: (from: string, to: string) => void;
}) {
  const { zone } = useTimeZone();
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState(() => (absolute ? isoToZonedInput(absolute.from, zone) : ''));
  const [to, setTo] = useState(() => (absolute ? isoToZonedInput(absolute.to, zone) : ''));
  const fromIso = zonedInputToIso(from, zone);
  const toIso = zonedInputToIso(to, zone);
  const problem = absoluteRangeProblem(fromIso, toIso);

  return (
    <div className="toolbar__range">
      <Field label="Time range">
        {(id) => (
          <Select
            id={id}
            value={absolute ? 'absolute' : (range ?? '')}
            options={[
              ...rangeOptions,
              ...(absolute
                ? [{ value: 'absolute', label: `${formatDateTime(absolute.from)} – ${formatDateTime(absolute.to)}` }]
                : []),
            ]}
            emptyLabel="Each widget's own"
            onChange={(v) => (v === 'absolute' ? undefined : onRange(v === '' ? null : v))}
          />
        )}
      </Field>
      <button type="button" className="button button--ghost" aria-expanded={open} onClick={() => setOpen(!open)}>
        Absolute range…
      </button>
      {absolute && (
        <button type="button" className="button button--ghost" onClick={() => onRange(null)}>
          Reset zoom
        </button>
      )}
      {open && (
        <form
          className="toolbar__range"
          aria-label="Absolute time range"
          onSubmit={(e) => {
            e.preventDefault();
            if (problem === null) {
              onAbsolute(fromIso, toIso);
              setOpen(false);
            }
          }}
        >
          <ZonedTimeField label="From" zone={zone} value={from} onChange={setFrom} />
          <ZonedTimeField label="To" zone={zone} value={to} onChange={setTo} />
          <button type="submit" className="button button--primary" disabled={problem !== null}>
            Show range
          </button>
          {problem !== null && (from !== '' || to !== '') && <span className="form-error">{problem}</span>}
        </form>
      )}
    </div>
  );
}
