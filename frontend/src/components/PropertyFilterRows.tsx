// Property = value filter rows (the explorer's, also each funnel step's and retention event's): all must match, like
// prop.<path>=<value> of GET /v1/events. Labels name each input ("Property path 1", or with a prefix "Step 2 property
// path 1"), so screen readers and the browser tests find them.
import { useId } from 'react';

export function PropertyFilterRows({
  rows,
  onChange,
  labelPrefix = '',
  addLabel = '+ Property filter',
}: {
  rows: readonly [string, string][];
  onChange: (rows: [string, string][]) => void;
  /** Put before "property path N" (capitalised when empty). */
  labelPrefix?: string;
  addLabel?: string;
}) {
  const id = useId();
  const name = (what: string, i: number) =>
    labelPrefix === '' ? `${what[0]!.toUpperCase()}${what.slice(1)} ${i + 1}` : `${labelPrefix} ${what} ${i + 1}`;
  return (
    <>
      {rows.map(([path, value], i) => (
        <div key={i} className="filters__prop">
          <label className="visually-hidden" htmlFor={`${id}-prop-${i}`}>
            {name('property path', i)}
          </label>
          <input
            id={`${id}-prop-${i}`}
            className="input"
            placeholder="plan or cart.currency"
            value={path}
            onChange={(e) => onChange(rows.map((p, j) => (j === i ? [e.target.value, p[1]] : p)))}
          />
          <span aria-hidden="true">=</span>
          <label className="visually-hidden" htmlFor={`${id}-val-${i}`}>
            {name('property value', i)}
          </label>
          <input
            id={`${id}-val-${i}`}
            className="input"
            value={value}
            onChange={(e) => onChange(rows.map((p, j) => (j === i ? [p[0], e.target.value] : p)))}
          />
          <button
            type="button"
            className="button button--ghost"
            aria-label={`Remove ${name('property filter', i).replace(/^P/, 'p')}`}
            onClick={() => onChange(rows.filter((_, j) => j !== i))}
          >
            ✕
          </button>
        </div>
      ))}
      <button type="button" className="button button--ghost" onClick={() => onChange([...rows, ['', '']])}>
        {addLabel}
      </button>
    </>
  );
}

/** The rows under a legend, as the filter forms (explorer, retention events) show them. */
export function PropertyFilterFieldset({
  legend,
  ...rows
}: { legend: string } & Parameters<typeof PropertyFilterRows>[0]) {
  return (
    <fieldset className="filters__props">
      <legend className="field__label">{legend}</legend>
      <PropertyFilterRows {...rows} />
    </fieldset>
  );
}

/** A filter form's buttons: run it, or clear it (back to the screen without parameters). */
export function FilterFormActions({ submitLabel, clearHref }: { submitLabel: string; clearHref: string }) {
  return (
    <div className="filters__actions">
      <button type="submit" className="button button--primary">
        {submitLabel}
      </button>
      <a className="button button--ghost" href={clearHref}>
        Clear
      </a>
    </div>
  );
}
