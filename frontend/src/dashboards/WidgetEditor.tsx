// The form of one widget while a dashboard is edited: type, title, query, width, order.
import { useId, useState } from 'react';
import type { Interval, Widget, WidgetType } from '../api/resources';
import { durationLabel, formatFilterText, INTERVALS, parseFilterText, RANGE_CHOICES } from '../lib/duration';

const TYPES: { value: WidgetType; label: string }[] = [
  { value: 'timeseries', label: 'Time series chart' },
  { value: 'number', label: 'Number' },
  { value: 'table', label: 'Table of buckets' },
  { value: 'events', label: 'Recent events' },
];

interface WidgetEditorProps {
  widget: Widget;
  index: number;
  count: number;
  problem: string | null;
  onChange: (widget: Widget) => void;
  onMove: (delta: -1 | 1) => void;
  onRemove: () => void;
}

export function WidgetEditor({ widget, index, count, problem, onChange, onMove, onRemove }: WidgetEditorProps) {
  const id = useId();
  const [filterText, setFilterText] = useState(() => formatFilterText(widget.query.filter));
  const q = widget.query;
  const setQuery = (patch: Partial<Widget['query']>) => onChange({ ...widget, query: { ...q, ...patch } });
  const label = `Widget ${index + 1}`;

  return (
    <fieldset className="widget-editor" aria-invalid={problem !== null}>
      <legend>
        {label}: {widget.title || q.event_type || 'new'}
      </legend>
      <div className="widget-editor__grid">
        <div className="field">
          <label className="field__label" htmlFor={`${id}-type`}>
            Type
          </label>
          <select id={`${id}-type`} className="input" value={widget.type} onChange={(e) => onChange({ ...widget, type: e.target.value as WidgetType })}>
            {TYPES.map((t) => (
              <option key={t.value} value={t.value}>
                {t.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-title`}>
            Title
          </label>
          <input id={`${id}-title`} className="input" value={widget.title} maxLength={200} onChange={(e) => onChange({ ...widget, title: e.target.value })} />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-event-type`}>
            Event type{widget.type === 'events' ? ' (optional)' : ''}
          </label>
          <input
            id={`${id}-event-type`}
            className="input"
            list="event-type-options"
            value={q.event_type ?? ''}
            onChange={(e) => setQuery({ event_type: e.target.value === '' ? undefined : e.target.value })}
          />
        </div>
        {widget.type !== 'events' && (
          <>
            <div className="field">
              <label className="field__label" htmlFor={`${id}-metric`}>
                Metric
              </label>
              <input id={`${id}-metric`} className="input" list="metric-options" value={q.metric ?? 'count'} onChange={(e) => setQuery({ metric: e.target.value })} />
              <datalist id="metric-options">
                <option value="count" />
                <option value="unique_users" />
                <option value="sum:amount" />
                <option value="avg:amount" />
              </datalist>
            </div>
            <div className="field">
              <label className="field__label" htmlFor={`${id}-interval`}>
                Interval
              </label>
              <select id={`${id}-interval`} className="input" value={q.interval ?? '1m'} onChange={(e) => setQuery({ interval: e.target.value as Interval })}>
                {INTERVALS.map((i) => (
                  <option key={i} value={i}>
                    {durationLabel(i)}
                  </option>
                ))}
              </select>
            </div>
          </>
        )}
        <div className="field">
          <label className="field__label" htmlFor={`${id}-range`}>
            Range
          </label>
          <select id={`${id}-range`} className="input" value={q.range ?? '1h'} onChange={(e) => setQuery({ range: e.target.value })}>
            {[...new Set([...RANGE_CHOICES, q.range ?? '1h'])].map((r) => (
              <option key={r} value={r}>
                Last {durationLabel(r)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-project`}>
            Project (optional)
          </label>
          <input id={`${id}-project`} className="input" value={q.project ?? ''} onChange={(e) => setQuery({ project: e.target.value || undefined })} />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-filter`}>
            Property filter
          </label>
          <input
            id={`${id}-filter`}
            className="input"
            placeholder="plan=pro, region=eu"
            value={filterText}
            onChange={(e) => {
              setFilterText(e.target.value);
              const filter = parseFilterText(e.target.value);
              setQuery({ filter: Object.keys(filter).length > 0 ? filter : undefined });
            }}
          />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${id}-width`}>
            Width
          </label>
          <select
            id={`${id}-width`}
            className="input"
            value={String(widget.layout?.w ?? 6)}
            onChange={(e) => onChange({ ...widget, layout: { w: Number(e.target.value), h: widget.layout?.h ?? 3 } })}
          >
            {[3, 4, 6, 8, 12].map((w) => (
              <option key={w} value={w}>
                {w === 12 ? 'Full' : `${w}/12`}
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="widget-editor__actions">
        <button type="button" className="button" onClick={() => onMove(-1)} disabled={index === 0} aria-label={`Move ${label} up`}>
          ↑ Up
        </button>
        <button type="button" className="button" onClick={() => onMove(1)} disabled={index === count - 1} aria-label={`Move ${label} down`}>
          ↓ Down
        </button>
        <button type="button" className="button button--danger" onClick={onRemove} aria-label={`Remove ${label}`}>
          Remove
        </button>
        {problem !== null && <span className="form-error">{problem}</span>}
      </div>
    </fieldset>
  );
}
