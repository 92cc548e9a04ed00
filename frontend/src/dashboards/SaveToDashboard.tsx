// "Save to dashboard" on the Funnels and Retention screens: the query shown becomes a funnel or retention widget
// (docs/api.md#dashboards) of a chosen dashboard, with a title and a relative range; admin only (PUT the dashboard).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { dashboardQueries } from '../api/queries';
import { api } from '../api/resources';
import type { Dashboard, SavedFunnel, SavedRetention, Widget } from '../api/types';
import { useSession } from '../auth/AuthProvider';
import { AdminButton, SelectField, TextField } from '../components/form';
import { ErrorState } from '../components/PanelStates';
import { durationLabel } from '../lib/duration';
import { ANALYTICS_RANGES } from '../lib/queryRange';
import { hrefFor } from '../lib/router';
import { useCanEdit } from '../shell/scope';
import { defaultTitle } from './widgetQuery';

type Insight = { type: 'funnel'; definition: SavedFunnel } | { type: 'retention'; definition: SavedRetention };

/** The body without from/to: what a dashboard widget keeps (its range gives them). */
export function savedQuery<T extends { from: unknown; to: unknown }>({
  from: _from,
  to: _to,
  ...rest
}: T): Omit<T, 'from' | 'to'> {
  return rest;
}

/** The widget a saved insight becomes. */
export function insightWidget(insight: Insight, title: string, range: string): Widget {
  const query =
    insight.type === 'funnel' ? { range, funnel: insight.definition } : { range, retention: insight.definition };
  const widget: Widget = {
    type: insight.type,
    title: '',
    query,
    layout: { w: insight.type === 'funnel' ? 6 : 12, h: 4 },
  };
  return { ...widget, title: title.trim() || defaultTitle(widget) };
}

/** `range`: the screen's relative range ('' for a custom from/to, which a widget cannot keep: it then offers 30 d). */
export function SaveToDashboard({ insight, range }: { insight: Insight; range: string }) {
  const canEdit = useCanEdit();
  const [open, setOpen] = useState(false);
  return (
    <div className="save-insight">
      <AdminButton allowed={canEdit} onClick={() => setOpen(!open)} aria-expanded={open}>
        Save to dashboard
      </AdminButton>
      {open && <SaveForm insight={insight} range={range} onClose={() => setOpen(false)} />}
    </div>
  );
}

function SaveForm({ insight, range, onClose }: { insight: Insight; range: string; onClose: () => void }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const dashboards = useQuery(dashboardQueries.all(session));
  const [dashboardId, setDashboardId] = useState('');
  const [title, setTitle] = useState('');
  const [widgetRange, setWidgetRange] = useState(range || '30d');
  const list = dashboards.data ?? [];
  const target = list.find((d) => d.id === dashboardId) ?? list[0];
  const save = useMutation({
    mutationFn: (d: Dashboard) =>
      api.saveDashboard(session.client, d.id, {
        name: d.name,
        widgets: [...d.widgets, insightWidget(insight, title, widgetRange)],
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: dashboardQueries.all(session).queryKey }),
  });

  function submit(e: FormEvent) {
    e.preventDefault();
    if (target !== undefined) save.mutate(target);
  }

  return (
    <form className="panel filters" aria-label="Save to dashboard" onSubmit={submit}>
      <div className="filters__grid">
        <SelectField
          label="Dashboard"
          value={target?.id ?? ''}
          options={list.map((d) => ({ value: d.id, label: d.name }))}
          onChange={setDashboardId}
        />
        <TextField
          label="Widget title"
          value={title}
          maxLength={200}
          placeholder={insightWidget(insight, '', widgetRange).title}
          onChange={setTitle}
        />
        <SelectField
          label="Widget range"
          hint="Unless the dashboard's range picker sets one"
          value={widgetRange}
          options={ANALYTICS_RANGES.map((r) => ({ value: r as string, label: `Last ${durationLabel(r)}` }))}
          onChange={setWidgetRange}
        />
      </div>
      <div className="filters__actions">
        <button type="submit" className="button button--primary" disabled={target === undefined || save.isPending}>
          {save.isPending ? 'Saving…' : 'Save widget'}
        </button>
        <button type="button" className="button button--ghost" onClick={onClose}>
          Close
        </button>
        {save.isSuccess && (
          <span role="status">
            Saved to <a href={hrefFor('dashboards', { id: save.data.id })}>{save.data.name}</a>
          </span>
        )}
      </div>
      {dashboards.isError && <ErrorState title="Could not load dashboards" error={dashboards.error} />}
      {save.isError && <ErrorState title="Could not save the widget" error={save.error} />}
    </form>
  );
}
