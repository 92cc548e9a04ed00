// The event explorer: filters (kept in the URL, so chart links land here filtered), cursor paging, full JSON per event.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import type { QueryParams } from '../api/client';
import { catalogQueries, eventCountQueries, eventsQueries, tenantQueries } from '../api/queries';
import { useSession } from '../auth/AuthProvider';
import { Field, ProjectSelectField, SelectField, TextField } from '../components/form';
import { LoadMore, RefreshButton } from '../components/Paging';
import { EmptyState, QueryView } from '../components/PanelStates';
import { formatDateTime, formatNumber } from '../lib/format';
import { zoneLabel } from '../lib/timezone';
import { useNow } from '../lib/useNow';
import { useTimeZone } from '../shell/TimeZoneContext';
import { distinctEvents, totalLabel } from './columns';
import { exportEvents, exportFilters } from '../api/events';
import { joinPages, saveText } from '../lib/download';
import { hrefFor, navigate, useRoute } from '../lib/router';
import { EventTable } from './EventTable';
import { FilterFormActions, PropertyFilterFieldset } from '../components/PropertyFilterRows';
import {
  filtersFromParams,
  filtersToQuery,
  filtersToRouteParams,
  isoToLocalInput,
  localInputToIso,
  type ExplorerFilters,
} from './filters';

const PAGE_SIZES = [25, 50, 100, 200];

export function ExplorerScreen() {
  const session = useSession();
  const route = useRoute();
  // The route's params are a new object on every render; their text says whether the filters changed.
  const paramsText = route.params.toString();
  const applied = useMemo(() => filtersFromParams(new URLSearchParams(paramsText)), [paramsText]);
  const pageSizeParam = Number(route.params.get('limit'));
  const pageSize = PAGE_SIZES.includes(pageSizeParam) ? pageSizeParam : 50;
  const filters = filtersToQuery(applied);
  const query = useInfiniteQuery(eventsQueries.list(session, { limit: pageSize, filters }));
  // Counted after the first page has arrived, so the count's scans do not compete with it (a filtered scan has a
  // time budget: docs/api.md#event-explorer).
  const total = useQuery({ ...eventCountQueries.count(session, filters), enabled: query.isSuccess });
  const { zone } = useTimeZone();
  const now = useNow(60_000);
  const events = useMemo(() => distinctEvents(query.data?.pages ?? []), [query.data]);

  function apply(next: ExplorerFilters, limit = pageSize) {
    navigate(hrefFor('explorer', { ...filtersToRouteParams(next), limit: limit === 50 ? undefined : String(limit) }));
  }

  return (
    <>
      <div className="section__header">
        <h1 className="page-title">Event explorer</h1>
        <p className="muted">Newest first. Times are in {zoneLabel(zone, now)}.</p>
      </div>
      <FilterForm key={route.params.toString()} initial={applied} pageSize={pageSize} onApply={apply} />

      <section className="section" aria-labelledby="explorer-results">
        <h2 id="explorer-results" className="visually-hidden">
          Results
        </h2>
        <QueryView
          query={query}
          loading="Loading events…"
          errorTitle="Could not load events"
          empty={<EmptyState title="No events match these filters" />}
          isEmpty={() => events.length === 0}
        >
          {() => (
            <div className="panel panel--flush">
              <EventTable events={events} caption="Events matching the filters, newest first" />
              <div className="panel__footer">
                <span className="muted" role="status">
                  Showing {formatNumber(events.length)}
                  {total.data !== undefined
                    ? ` of ${totalLabel(total.data, formatNumber)}`
                    : ` event${events.length === 1 ? '' : 's'}${total.isError ? ' (total unavailable)' : ' (counting…)'}`}
                  {events.length > 0 && ` · newest ${formatDateTime(events[0]!.timestamp)}`}
                </span>
                <LoadMore query={query} errorTitle="Could not load more events" done="No older events." />
                <ExportButtons filters={filters} />
                <RefreshButton query={query} onRefresh={() => (void query.refetch(), void total.refetch())} />
              </div>
            </div>
          )}
        </QueryView>
      </section>
    </>
  );
}

/** Every matching event (not only the loaded pages) as a file: GET /v1/events/export, paged. */
function ExportButtons({ filters }: { filters: QueryParams }) {
  const session = useSession();
  // Its retention_days bounds an export without `from` (the same query as the shell's zone: cached).
  const tenant = useQuery(tenantQueries.tenant(session));
  const [state, setState] = useState<string | null>(null);
  async function run(format: 'csv' | 'ndjson') {
    setState(`Exporting ${format.toUpperCase()}…`);
    try {
      const range = exportFilters(filters, Date.now(), tenant.data?.retention_days ?? null);
      const result = await exportEvents(session.client, range, format);
      saveText(
        joinPages(result.pages, format),
        result.filename ?? `events.${format}`,
        format === 'csv' ? 'text/csv' : 'application/x-ndjson',
      );
      setState(result.complete ? null : 'The export stopped at its page limit: narrow the range for the rest.');
    } catch (error) {
      setState(`Export failed: ${error instanceof Error ? error.message : 'unknown error'}`);
    }
  }
  return (
    <>
      <button type="button" className="button button--ghost" onClick={() => void run('csv')}>
        Export CSV
      </button>
      <button type="button" className="button button--ghost" onClick={() => void run('ndjson')}>
        Export NDJSON
      </button>
      {state !== null && (
        <span className="muted" role="status">
          {state}
        </span>
      )}
    </>
  );
}

function FilterForm({
  initial,
  pageSize,
  onApply,
}: {
  initial: ExplorerFilters;
  pageSize: number;
  onApply: (f: ExplorerFilters, limit: number) => void;
}) {
  const session = useSession();
  const eventTypes = useQuery(catalogQueries.eventTypes(session));
  const [draft, setDraft] = useState<ExplorerFilters>(() => ({
    ...initial,
    props: initial.props.length > 0 ? initial.props : [],
  }));
  const [limit, setLimit] = useState(pageSize);
  const { zone } = useTimeZone();
  const set = (patch: Partial<ExplorerFilters>) => setDraft({ ...draft, ...patch });
  const typeOptions = [...new Set([...(eventTypes.data ?? []), ...draft.eventTypes])];

  function submit(e: FormEvent) {
    e.preventDefault();
    onApply({ ...draft, props: draft.props.filter(([k]) => k.trim() !== '') }, limit);
  }

  return (
    <form className="panel filters" aria-label="Event filters" onSubmit={submit}>
      <div className="filters__grid">
        <Field label="Event types" hint="None selected = all types">
          {(typesId) => (
            <select
              id={typesId}
              className="input input--multi"
              multiple
              size={Math.min(5, Math.max(2, typeOptions.length))}
              value={draft.eventTypes}
              onChange={(e) => set({ eventTypes: Array.from(e.target.selectedOptions, (o) => o.value) })}
            >
              {typeOptions.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          )}
        </Field>
        <ProjectSelectField value={draft.project} onChange={(project) => set({ project })} />
        <TextField label="User ID" value={draft.userId} onChange={(userId) => set({ userId })} />
        <TextField label="Session ID" value={draft.sessionId} onChange={(sessionId) => set({ sessionId })} />
        <TextField
          label={`From (${zone})`}
          type="datetime-local"
          step={1}
          value={isoToLocalInput(draft.from, zone)}
          onChange={(v) => set({ from: localInputToIso(v, zone) })}
        />
        <TextField
          label={`To (${zone})`}
          type="datetime-local"
          step={1}
          value={isoToLocalInput(draft.to, zone)}
          onChange={(v) => set({ to: localInputToIso(v, zone) })}
        />
        <SelectField
          label="Page size"
          value={String(limit)}
          options={PAGE_SIZES.map(String)}
          onChange={(v) => setLimit(Number(v))}
        />
      </div>
      <PropertyFilterFieldset legend="Property = value" rows={draft.props} onChange={(props) => set({ props })} />
      <FilterFormActions submitLabel="Apply filters" clearHref={hrefFor('explorer')} />
    </form>
  );
}

export default ExplorerScreen;
