// The form of one widget while a dashboard is edited: type, title, query, width, order.
import { useState } from 'react';
import type { Widget, WidgetType } from '../api/types';
import { MetricField, SelectField, TextField } from '../components/form';
import {
  durationLabel,
  formatFilterText,
  INTERVAL_OPTIONS,
  parseFilterText,
  RANGE_CHOICES,
  RANGE_OPTIONS,
} from '../lib/duration';

const TYPES: { value: WidgetType; label: string }[] = [
  { value: 'timeseries', label: 'Time series chart' },
  { value: 'number', label: 'Number' },
  { value: 'table', label: 'Table of buckets' },
  { value: 'events', label: 'Recent events' },
];
const WIDTHS = [3, 4, 6, 8, 12].map((w) => ({ value: String(w), label: w === 12 ? 'Full' : `${w}/12` }));

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
        <SelectField
          label="Type"
          value={widget.type}
          options={TYPES}
          onChange={(type) => onChange({ ...widget, type })}
        />
        <TextField
          label="Title"
          value={widget.title}
          maxLength={200}
          onChange={(title) => onChange({ ...widget, title })}
        />
        <TextField
          label={`Event type${widget.type === 'events' ? ' (optional)' : ''}`}
          list="event-type-options"
          value={q.event_type ?? ''}
          onChange={(v) => setQuery({ event_type: v === '' ? undefined : v })}
        />
        {widget.type !== 'events' && (
          <>
            <MetricField value={q.metric ?? 'count'} onChange={(metric) => setQuery({ metric })} />
            <SelectField
              label="Interval"
              value={q.interval ?? '1m'}
              options={INTERVAL_OPTIONS}
              onChange={(interval) => setQuery({ interval })}
            />
          </>
        )}
        <SelectField
          label="Range"
          value={q.range ?? '1h'}
          options={[
            ...RANGE_OPTIONS,
            ...(RANGE_CHOICES.some((r) => r === (q.range ?? '1h'))
              ? []
              : [{ value: q.range!, label: `Last ${durationLabel(q.range!)}` }]),
          ]}
          onChange={(range) => setQuery({ range })}
        />
        <TextField
          label="Project (optional)"
          value={q.project ?? ''}
          onChange={(v) => setQuery({ project: v || undefined })}
        />
        <TextField
          label="Property filter"
          placeholder="plan=pro, region=eu"
          value={filterText}
          onChange={(v) => {
            setFilterText(v);
            const filter = parseFilterText(v);
            setQuery({ filter: Object.keys(filter).length > 0 ? filter : undefined });
          }}
        />
        <SelectField
          label="Width"
          value={String(widget.layout?.w ?? 6)}
          options={WIDTHS}
          onChange={(w) => onChange({ ...widget, layout: { w: Number(w), h: widget.layout?.h ?? 3 } })}
        />
      </div>
      <div className="widget-editor__actions">
        <button
          type="button"
          className="button"
          onClick={() => onMove(-1)}
          disabled={index === 0}
          aria-label={`Move ${label} up`}
        >
          ↑ Up
        </button>
        <button
          type="button"
          className="button"
          onClick={() => onMove(1)}
          disabled={index === count - 1}
          aria-label={`Move ${label} down`}
        >
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
