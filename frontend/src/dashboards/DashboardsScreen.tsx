// Dashboards from GET /v1/dashboards: pick one, override range/interval, edit widgets (admin) and save with PUT.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { catalogQueries, dashboardQueries } from '../api/queries';
import { api } from '../api/resources';
import type { Dashboard, Widget } from '../api/types';
import { useSession } from '../auth/AuthProvider';
import { EmptyState, ErrorState, LoadingState } from '../components/PanelStates';
import { AdminButton, Field, SelectField, Suggestions, TextField } from '../components/form';
import { intervalOptionsFor, isInterval, RANGE_CHOICES, RANGE_OPTIONS } from '../lib/duration';
import { hrefFor, navigate, useRoute } from '../lib/router';
import { useCanEdit } from '../shell/scope';
import { WidgetEditor } from './WidgetEditor';
import { WidgetView } from './WidgetView';
import { absoluteFromParams, cleanWidget, moveWidget, widgetProblem, type Overrides } from './widgetQuery';
import { TimeRangePicker } from './TimeRangePicker';

const NEW_WIDGET: Widget = {
  type: 'timeseries',
  title: '',
  query: { metric: 'count', interval: '1m', range: '1h' },
  layout: { w: 6, h: 3 },
};

export function DashboardsScreen() {
  const session = useSession();
  const route = useRoute();
  const dashboards = useQuery(dashboardQueries.all(session));
  const canEdit = useCanEdit();
  const rangeParam = route.params.get('range');
  const intervalParam = route.params.get('interval') ?? undefined;
  const overrides: Overrides = {
    range: rangeParam !== null && (RANGE_CHOICES as readonly string[]).includes(rangeParam) ? rangeParam : null,
    interval: isInterval(intervalParam) ? intervalParam : null,
    absolute: absoluteFromParams(route.params),
    compare: route.params.get('compare') === 'previous',
  };
  const [editing, setEditing] = useState<string | null>(null);

  if (dashboards.isPending) return <LoadingState label="Loading dashboards…" />;
  if (dashboards.data === undefined)
    return (
      <ErrorState
        title="Could not load dashboards"
        error={dashboards.error}
        autoRetry
        onRetry={() => void dashboards.refetch()}
      />
    );
  const list = dashboards.data;
  const wanted = route.params.get('id');
  const current = list.find((d) => d.id === wanted) ?? list.find((d) => d.is_default) ?? list[0];

  function setParams(values: Record<string, string | null>) {
    const params = new URLSearchParams(route.params);
    for (const [name, value] of Object.entries(values)) {
      if (value === null || value === '') params.delete(name);
      else params.set(name, value);
    }
    navigate(hrefFor('dashboards', params));
  }
  const setParam = (name: string, value: string | null) => setParams({ [name]: value });
  // A zoom or an absolute range replaces the relative one (and the other way round).
  const zoom = (from: string, to: string) => setParams({ from, to, range: null });

  return (
    <>
      <div className="section__header">
        <h1 className="page-title">Dashboards</h1>
      </div>
      <section className="toolbar" aria-label="Dashboard options">
        <SelectField
          label="Dashboard"
          value={current?.id ?? ''}
          options={list.map((d) => ({ value: d.id, label: `${d.name}${d.is_default ? ' (default)' : ''}` }))}
          onChange={(id) => (setEditing(null), setParam('id', id))}
        />
        <TimeRangePicker
          range={overrides.range}
          absolute={overrides.absolute ?? null}
          rangeOptions={RANGE_OPTIONS}
          onRange={(range) => setParams({ range, from: null, to: null })}
          onAbsolute={zoom}
        />
        <label className="checkbox">
          <input
            type="checkbox"
            checked={overrides.compare === true}
            onChange={(e) => setParam('compare', e.target.checked ? 'previous' : null)}
          />{' '}
          Compare to previous
        </label>
        <Field
          label="Interval"
          hint="An interval too fine for a widget’s range is replaced by a coarser one; the widget says so."
        >
          {(intervalId) => (
            <select
              id={intervalId}
              className="input"
              value={overrides.interval ?? ''}
              onChange={(e) => setParam('interval', e.target.value)}
            >
              <option value="">Each widget's own</option>
              {intervalOptionsFor(overrides.range).map((o) => (
                <option key={o.value} value={o.value} disabled={o.refusal !== null} title={o.refusal ?? undefined}>
                  {o.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="toolbar__actions">
          {current !== undefined && editing !== current.id && (
            <AdminButton allowed={canEdit} onClick={() => setEditing(current.id)}>
              Edit dashboard
            </AdminButton>
          )}
          <NewDashboardButton canEdit={canEdit} onCreated={(d) => (setParam('id', d.id), setEditing(d.id))} />
        </div>
      </section>

      {current === undefined ? (
        <EmptyState title="No dashboards yet">
          {canEdit ? <p>Create one with “New dashboard”.</p> : <p>An editor can create one.</p>}
        </EmptyState>
      ) : editing === current.id ? (
        <DashboardEditor key={current.id} dashboard={current} onDone={() => setEditing(null)} />
      ) : current.widgets.length === 0 ? (
        <EmptyState title="This dashboard has no widgets">
          {canEdit ? <p>Choose “Edit dashboard” to add some.</p> : <p>An editor can add widgets.</p>}
        </EmptyState>
      ) : (
        <div className="widget-grid">
          {current.widgets.map((widget, index) => (
            <WidgetView key={widget.id ?? index} widget={widget} index={index} overrides={overrides} onZoom={zoom} />
          ))}
        </div>
      )}
    </>
  );
}

function NewDashboardButton({
  canEdit,
  onCreated,
}: {
  canEdit: boolean | undefined;
  onCreated: (d: Dashboard) => void;
}) {
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
      <AdminButton allowed={canEdit} disabled={create.isPending} onClick={() => create.mutate()}>
        {create.isPending ? 'Creating…' : 'New dashboard'}
      </AdminButton>
      {create.isError && (
        <span className="form-error" role="alert">
          {create.error.message}
        </span>
      )}
    </>
  );
}

function DashboardEditor({ dashboard, onDone }: { dashboard: Dashboard; onDone: () => void }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const eventTypes = useQuery(catalogQueries.eventTypes(session));
  const [name, setName] = useState(dashboard.name);
  const [widgets, setWidgets] = useState<Widget[]>(dashboard.widgets);
  const problems = widgets.map(widgetProblem);
  const firstProblem = problems.findIndex((p) => p !== null);

  const invalidate = () => queryClient.invalidateQueries({ queryKey: dashboardQueries.all(session).queryKey });
  const save = useMutation({
    mutationFn: () =>
      api.saveDashboard(session.client, dashboard.id, {
        name: name.trim() || dashboard.name,
        widgets: widgets.map(cleanWidget),
      }),
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
      <TextField label="Dashboard name" value={name} onChange={setName} maxLength={200} />
      <Suggestions id="event-type-options" values={eventTypes.data ?? []} />
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
        <button
          type="button"
          className="button"
          onClick={() =>
            setWidgets([
              ...widgets,
              { ...NEW_WIDGET, query: { ...NEW_WIDGET.query, event_type: eventTypes.data?.[0] } },
            ])
          }
        >
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
