// The form of one widget while a dashboard is edited: type, title, query, width, order.
import { useMemo, useState } from 'react';
import type { Widget, WidgetType } from '../api/types';
import { MetricField, SelectField, TextAreaField, TextField } from '../components/form';
import { cleanWidget, formatSeriesText, INSIGHT_DEFAULT_RANGE, isInsightWidget, parseSeriesText } from './widgetQuery';
import { ANALYTICS_RANGE_OPTIONS } from '../lib/queryRange';
import { DEFAULT_BREAKDOWN_LIMIT, formatLimit, MAX_WIDGET_BREAKDOWN_LIMIT, parseLimitText } from './breakdownLimit';
import { useDebounced } from '../lib/useDebounced';
import { WidgetView } from './WidgetView';
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
const CHART_OPTIONS: { value: NonNullable<Widget['chart']>; label: string }[] = [
  { value: 'area', label: 'Area' },
  { value: 'line', label: 'Line' },
  { value: 'bar', label: 'Bars' },
  { value: 'stacked', label: 'Stacked areas' },
];

/** The layout with a new width, keeping x/y; x moves left when x + w would pass the 12th column. */
function withWidth(layout: Widget['layout'], w: number): NonNullable<Widget['layout']> {
  const next = { ...layout, w, h: layout?.h ?? 3 };
  if (next.x !== undefined && next.x + w > 12) next.x = 12 - w;
  return next;
}

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

const NO_OVERRIDES = { range: null, interval: null } as const;

export function WidgetEditor({ widget, index, count, problem, onChange, onMove, onRemove }: WidgetEditorProps) {
  // Typing should not fire a query per keystroke: the preview follows the widget half a second behind.
  // Compared as text, so an equal widget is the same value (no render loop through the debounce).
  const previewText = useDebounced(JSON.stringify(cleanWidget(widget)), 500);
  const previewWidget = useMemo(() => JSON.parse(previewText) as Widget, [previewText]);
  const [filterText, setFilterText] = useState(() => formatFilterText(widget.query.filter));
  const [seriesText, setSeriesText] = useState(() => formatSeriesText(widget.query.series));
  const [limitText, setLimitText] = useState(() => formatLimit(widget.query.breakdown?.limit));
  const limitProblem = parseLimitText(limitText).problem;
  const q = widget.query;
  const setQuery = (patch: Partial<Widget['query']>) => onChange({ ...widget, query: { ...q, ...patch } });
  const label = `Widget ${index + 1}`;

  return (
    <fieldset className="widget-editor" aria-invalid={problem !== null}>
      <legend>
        {label}: {widget.title || q.event_type || 'new'}
      </legend>
      <div className="widget-editor__grid">
        {isInsightWidget(widget) ? (
          <>
            <TextField
              label="Title"
              value={widget.title}
              maxLength={200}
              onChange={(title) => onChange({ ...widget, title })}
            />
            <SelectField
              label="Range"
              hint="Unless the dashboard's range picker sets one"
              value={q.range ?? INSIGHT_DEFAULT_RANGE[widget.type === 'retention' ? 'retention' : 'funnel']}
              options={[
                ...ANALYTICS_RANGE_OPTIONS.filter((o) => o.value !== '' && o.value !== q.range),
                ...(q.range ? [{ value: q.range, label: `Last ${durationLabel(q.range)}` }] : []),
              ]}
              onChange={(range) => setQuery({ range })}
            />
            <p className="muted">
              A saved {widget.type}: its definition is kept as saved; to change it, save a new one from the{' '}
              {widget.type === 'funnel' ? 'Funnels' : 'Retention'} screen.
            </p>
          </>
        ) : (
          <>
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
            {widget.type === 'timeseries' && (
              <>
                <SelectField
                  label="Chart"
                  value={widget.chart ?? 'area'}
                  options={CHART_OPTIONS}
                  onChange={(chart) => onChange({ ...widget, chart })}
                />
                <TextAreaField
                  label="More series (one per line)"
                  hint="event_type | metric | label, e.g. checkout | p95:latency | checkout p95"
                  rows={2}
                  value={seriesText}
                  onChange={(v) => {
                    setSeriesText(v);
                    const series = parseSeriesText(v);
                    setQuery({ series: series.length > 0 ? series : undefined });
                  }}
                />
                <label className="checkbox">
                  <input
                    type="checkbox"
                    checked={q.compare === 'previous'}
                    onChange={(e) => setQuery({ compare: e.target.checked ? 'previous' : undefined })}
                  />{' '}
                  Compare to previous range
                </label>
              </>
            )}
            {widget.type !== 'events' && (
              <>
                <TextField
                  label="Break down by property"
                  placeholder="plan"
                  hint={
                    widget.type === 'number'
                      ? 'The total, then each value with its share.'
                      : widget.type === 'table'
                        ? 'A column per value, beside the total.'
                        : 'A stacked series per value.'
                  }
                  value={q.breakdown?.path ?? ''}
                  onChange={(v) => {
                    const { limit } = parseLimitText(limitText);
                    setQuery({
                      breakdown: v.trim() === '' ? undefined : { path: v, ...(limit === undefined ? {} : { limit }) },
                    });
                  }}
                />
                {q.breakdown !== undefined && (
                  <TextField
                    label="Top values"
                    inputMode="numeric"
                    placeholder={String(DEFAULT_BREAKDOWN_LIMIT)}
                    aria-invalid={limitProblem !== null}
                    hint={
                      limitProblem !== null ? (
                        <span className="form-error">{limitProblem}</span>
                      ) : (
                        `1–${MAX_WIDGET_BREAKDOWN_LIMIT} values get their own series (default ${DEFAULT_BREAKDOWN_LIMIT}); ` +
                        'the rest are summed in “other values”.'
                      )
                    }
                    value={limitText}
                    onChange={(v) => {
                      setLimitText(v);
                      const { limit } = parseLimitText(v);
                      setQuery({ breakdown: { path: q.breakdown!.path, ...(limit === undefined ? {} : { limit }) } });
                    }}
                  />
                )}
              </>
            )}
            {widget.type !== 'events' && (
              <TextField
                label="Unit (optional)"
                placeholder="ms, EUR"
                maxLength={20}
                value={widget.unit ?? ''}
                onChange={(unit) => onChange({ ...widget, unit: unit === '' ? undefined : unit })}
              />
            )}
          </>
        )}
        <SelectField
          label="Width"
          value={String(widget.layout?.w ?? 6)}
          options={WIDTHS}
          // x/y (the widget's place on the grid) stay; a width that would reach past the last column moves it left.
          onChange={(w) => onChange({ ...widget, layout: withWidth(widget.layout, Number(w)) })}
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
      {/* The widget as it will look, live while editing (the same renderer as the dashboard; debounced queries). */}
      {problem === null && (
        <div className="widget-editor__preview" aria-label={`Preview of ${label}`} role="region">
          <WidgetView widget={previewWidget} index={index} overrides={NO_OVERRIDES} />
        </div>
      )}
    </fieldset>
  );
}
