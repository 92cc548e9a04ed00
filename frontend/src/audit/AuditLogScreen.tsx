// The audit log (GET /v1/audit-log, admins): who changed what and when, newest first; each row opens to show the
// fields the change touched, before and after. Filtered by kind of action; "Load more" follows the cursor.
import { useInfiniteQuery } from '@tanstack/react-query';
import { useId, useMemo, useState } from 'react';
import { auditQueries, type AuditEntry } from '../api/audit';
import { useSession } from '../auth/AuthProvider';
import { DataTable } from '../components/DataTable';
import { SelectField } from '../components/form';
import { LoadMore, RefreshButton } from '../components/Paging';
import { EmptyState, QueryView } from '../components/PanelStates';
import { formatDateTime, formatNumber } from '../lib/format';
import { hrefFor, navigate, useRoute } from '../lib/router';
import { zoneLabel } from '../lib/timezone';
import { useNow } from '../lib/useNow';
import { useTimeZone } from '../shell/TimeZoneContext';
import { ACTION_FILTERS, actorLabel, fieldChanges, formatValue } from './auditView';

const PAGE_SIZE = 50;
const COLUMNS = ['Time', 'Actor', 'Action', 'Target'];

export function AuditLogScreen() {
  const session = useSession();
  const route = useRoute();
  const actionParam = route.params.get('action') ?? '';
  const action = ACTION_FILTERS.some((f) => f.value === actionParam) ? actionParam : '';
  const query = useInfiniteQuery(auditQueries.list(session, { limit: PAGE_SIZE, filters: { action } }));
  const { zone } = useTimeZone();
  const now = useNow(60_000);
  const entries = useMemo(() => query.data?.pages.flatMap((p) => p.entries) ?? [], [query.data]);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setOpen((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });

  return (
    <>
      <div className="section__header">
        <h1 className="page-title">Audit log</h1>
        <p className="muted">
          Who changed what, newest first. Entries are never changed or deleted. Times are in {zoneLabel(zone, now)}.
        </p>
      </div>
      <form className="panel inline-form" aria-label="Filter the audit log" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          label="Action"
          inline
          value={action}
          options={ACTION_FILTERS}
          onChange={(value) => navigate(hrefFor('audit', { action: value }))}
        />
      </form>

      <section className="section" aria-labelledby="audit-results">
        <h2 id="audit-results" className="visually-hidden">
          Entries
        </h2>
        <QueryView
          query={query}
          loading="Loading the audit log…"
          errorTitle="Could not load the audit log"
          empty={<EmptyState title={action === '' ? 'Nothing recorded yet' : 'No entries of this kind'} />}
          isEmpty={() => entries.length === 0}
        >
          {() => (
            <div className="panel panel--flush">
              <DataTable caption="Audit log entries, newest first" columns={COLUMNS}>
                {entries.map((entry) => (
                  <EntryRows key={entry.id} entry={entry} expanded={open.has(entry.id)} onToggle={toggle} />
                ))}
              </DataTable>
              <div className="panel__footer">
                <span className="muted" role="status">
                  Showing {formatNumber(entries.length)} entr{entries.length === 1 ? 'y' : 'ies'}
                </span>
                <LoadMore query={query} errorTitle="Could not load more entries" done="No older entries." />
                <RefreshButton query={query} />
              </div>
            </div>
          )}
        </QueryView>
      </section>
    </>
  );
}

function EntryRows({
  entry,
  expanded,
  onToggle,
}: {
  entry: AuditEntry;
  expanded: boolean;
  onToggle: (id: string) => void;
}) {
  const detailId = useId();
  const changes = fieldChanges(entry.before, entry.after);
  return (
    <>
      <tr className={expanded ? 'events-table__row events-table__row--open' : 'events-table__row'}>
        <td>
          <button
            type="button"
            className="row-toggle"
            aria-expanded={expanded}
            aria-controls={expanded ? detailId : undefined}
            onClick={() => onToggle(entry.id)}
          >
            <span className="row-toggle__chevron" aria-hidden="true" />
            <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
          </button>
        </td>
        <td title={`${entry.actor.kind}:${entry.actor.id}`}>{actorLabel(entry.actor)}</td>
        <td className="mono">{entry.action}</td>
        <td className="mono">{entry.target ?? <span className="muted">—</span>}</td>
      </tr>
      {expanded && (
        <tr className="events-table__detail">
          <td colSpan={COLUMNS.length} id={detailId}>
            {changes.length === 0 ? (
              <p className="muted">No fields recorded for this action.</p>
            ) : (
              <table className="events-table" aria-label={`What ${entry.action} changed`}>
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Before</th>
                    <th scope="col">After</th>
                  </tr>
                </thead>
                <tbody>
                  {changes.map((c) => (
                    <tr key={c.key}>
                      <td className="mono">{c.key}</td>
                      <td className="mono" title={c.kind === 'added' ? 'not set before' : formatValue(c.before, 4000)}>
                        {c.kind === 'added' ? <span className="muted">—</span> : formatValue(c.before)}
                      </td>
                      <td className="mono" title={c.kind === 'removed' ? 'not set after' : formatValue(c.after, 4000)}>
                        {c.kind === 'removed' ? <span className="muted">—</span> : formatValue(c.after)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </td>
        </tr>
      )}
    </>
  );
}

export default AuditLogScreen;
