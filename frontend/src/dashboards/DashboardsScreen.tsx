// Dashboards from GET /v1/dashboards: pick one, override range/interval, edit widgets (admin) and save with PUT.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { catalogQueries, dashboardQueries } from '../api/queries';
import { api, type Dashboard, type Widget } from '../api/resources';
import type { MetricInterval } from '../api/types';
import { useSession } from '../auth/AuthProvider';
import { EmptyState, ErrorState, LoadingState } from '../components/PanelStates';
import { durationLabel, INTERVALS, isInterval, RANGE_CHOICES } from '../lib/duration';
import { hrefFor, navigate, useRoute } from '../lib/router';
import { READ_ONLY_HINT, useIsAdmin } from '../shell/scope';
import { WidgetEditor } from './WidgetEditor';
import { WidgetView } from './WidgetView';
import { cleanWidget, moveWidget, widgetProblem, type Overrides } from './widgetQuery';

const NEW_WIDGET: Widget = { type: 'timeseries', title: '', query: { metric: 'count', interval: '1m', range: '1h' }, layout: { w: 6, h: 3 } };

export function DashboardsScreen() {
  const session = useSession();
  const route = useRoute();
  const dashboards = useQuery(dashboardQueries.all(session));
  const isAdmin = useIsAdmin();
  const rangeParam = route.params.get('range');
  const intervalParam = route.params.get('interval') ?? undefined;
  const overrides: Overrides = {
    range: rangeParam !== null && (RANGE_CHOICES as readonly string[]).includes(rangeParam) ? rangeParam : null,
    interval: isInterval(intervalParam) ? intervalParam : null,
  };
  const [editing, setEditing] = useState<string | null>(null);
  const pickerId = useId();

  if (dashboards.isPending) return <LoadingState label="Loading dashboards…" />;
  if (dashboards.data === undefined) return <ErrorState title="Could not load dashboards" error={dashboards.error} onRetry={() => void dashboards.refetch()} />;
  const list = dashboards.data;
  const wanted = route.params.get('id');
  const current = list.find((d) => d.id === wanted) ?? list.find((d) => d.is_default) ?? list[0];

  function setParam(name: string, value: string | null) {
    const params = new URLSearchParams(route.params);
    if (value === null || value === '') params.delete(name);
    else params.set(name, value);
    navigate(hrefFor('dashboards', params));
  }

  return (
    <>
      <div className="section__header">
        <h1 className="page-title">Dashboards</h1>
      </div>
      <section className="toolbar" aria-label="Dashboard options">
        <div className="field">
          <label className="field__label" htmlFor={pickerId}>
            Dashboard
          </label>
          <select id={pickerId} className="input" value={current?.id ?? ''} onChange={(e) => (setEditing(null), setParam('id', e.target.value))}>
            {list.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
                {d.is_default ? ' (default)' : ''}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${pickerId}-range`}>
            Time range
          </label>
          <select id={`${pickerId}-range`} className="input" value={overrides.range ?? ''} onChange={(e) => setParam('range', e.target.value)}>
            <option value="">Each widget's own</option>
            {RANGE_CHOICES.map((r) => (
              <option key={r} value={r}>
                Last {durationLabel(r)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${pickerId}-interval`}>
            Interval
          </label>
          <select id={`${pickerId}-interval`} className="input" value={overrides.interval ?? ''} onChange={(e) => setParam('interval', e.target.value)}>
            <option value="">Each widget's own</option>
            {INTERVALS.map((i) => (
              <option key={i} value={i}>
                {durationLabel(i)}
              </option>
            ))}
          </select>
        </div>
        <div className="toolbar__actions">
          {current !== undefined && editing !== current.id && (
            <button type="button" className="button" disabled={!isAdmin} title={isAdmin ? undefined : READ_ONLY_HINT} onClick={() => setEditing(current.id)}>
              Edit dashboard
            </button>
          )}
          <NewDashboardButton disabled={!isAdmin} onCreated={(d) => (setParam('id', d.id), setEditing(d.id))} />
        </div>
      </section>

      {current === undefined ? (
        <EmptyState title="No dashboards yet">{isAdmin ? <p>Create one with “New dashboard”.</p> : <p>An admin can create one.</p>}</EmptyState>
      ) : editing === current.id ? (
        <DashboardEditor key={current.id} dashboard={current} onDone={() => setEditing(null)} />
      ) : current.widgets.length === 0 ? (
        <EmptyState title="This dashboard has no widgets">{isAdmin ? <p>Choose “Edit dashboard” to add some.</p> : <p>An admin can add widgets.</p>}</EmptyState>
      ) : (
        <div className="widget-grid">
          {current.widgets.map((widget, index) => (
            <WidgetView key={widget.id ?? index} widget={widget} index={index} overrides={overrides} />
          ))}
        </div>
      )}
    </>
  );
}

function NewDashboardButton({ disabled, onCreated }: { disabled: boolean; onCreated: (d: Dashboard) => void }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: () => api.createDashboard(session.client, { name: 'New dashboard', widgets: [] }),
    onSuccess: async (d) => {
      await queryClient.invalidateQueries({ queryKey: dashboardQueries.all(session).queryKey });
      onCreated(d);
    },
  });
  return (
    <>
      <button type="button" className="button" disabled={disabled || create.isPending} title={disabled ? READ_ONLY_HINT : undefined} onClick={() => create.mutate()}>
        {create.isPending ? 'Creating…' : 'New dashboard'}
      </button>
      {create.isError && <span className="form-error" role="alert">{create.error.message}</span>}
    </>
  );
}

function DashboardEditor({ dashboard, onDone }: { dashboard: Dashboard; onDone: () => void }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const eventTypes = useQuery(catalogQueries.eventTypes(session));
  const [name, setName] = useState(dashboard.name);
  const [widgets, setWidgets] = useState<Widget[]>(dashboard.widgets);
  const nameId = useId();
  const problems = widgets.map(widgetProblem);
  const firstProblem = problems.findIndex((p) => p !== null);

  const invalidate = () => queryClient.invalidateQueries({ queryKey: dashboardQueries.all(session).queryKey });
  const save = useMutation({
    mutationFn: () => api.saveDashboard(session.client, dashboard.id, { name: name.trim() || dashboard.name, widgets: widgets.map(cleanWidget) }),
    onSuccess: async () => {
      await invalidate();
      onDone();
    },
  });
  const remove = useMutation({
    mutationFn: () => api.deleteDashboard(session.client, dashboard.id),
    onSuccess: async () => {
      await invalidate();
      navigate(hrefFor('dashboards'));
      onDone();
    },
  });

  return (
    <form
      className="editor"
      aria-label={`Edit dashboard ${dashboard.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (firstProblem === -1) save.mutate();
      }}
    >
      <div className="field">
        <label className="field__label" htmlFor={nameId}>
          Dashboard name
        </label>
        <input id={nameId} className="input" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
      </div>
      <datalist id="event-type-options">
        {(eventTypes.data ?? []).map((t) => (
          <option key={t} value={t} />
        ))}
      </datalist>
      <ol className="editor__widgets">
        {widgets.map((widget, index) => (
          <li key={widget.id ?? `new-${index}`}>
            <WidgetEditor
              widget={widget}
              index={index}
              count={widgets.length}
              problem={problems[index] ?? null}
              onChange={(w) => setWidgets(widgets.map((old, i) => (i === index ? w : old)))}
              onMove={(delta) => setWidgets(moveWidget(widgets, index, delta))}
              onRemove={() => setWidgets(widgets.filter((_, i) => i !== index))}
            />
          </li>
        ))}
      </ol>
      {widgets.length === 0 && <p className="muted">No widgets yet.</p>}
      <div className="editor__actions">
        <button type="button" className="button" onClick={() => setWidgets([...widgets, { ...NEW_WIDGET, query: { ...NEW_WIDGET.query, event_type: eventTypes.data?.[0] } }])}>
          Add widget
        </button>
        <button type="submit" className="button button--primary" disabled={save.isPending || firstProblem !== -1}>
          {save.isPending ? 'Saving…' : 'Save dashboard'}
        </button>
        <button type="button" className="button button--ghost" onClick={onDone}>
          Cancel
        </button>
        <button
          type="button"
          className="button button--danger"
          disabled={remove.isPending}
          onClick={() => {
            if (window.confirm(`Delete dashboard “${dashboard.name}”?`)) remove.mutate();
          }}
        >
          Delete dashboard
        </button>
      </div>
      {firstProblem !== -1 && (
        <p className="form-error" role="status">
          Widget {firstProblem + 1}: {problems[firstProblem]}
        </p>
      )}
      {save.isError && <ErrorState title="Could not save the dashboard" error={save.error} />}
      {remove.isError && <ErrorState title="Could not delete the dashboard" error={remove.error} />}
    </form>
  );
}

export default DashboardsScreen;
