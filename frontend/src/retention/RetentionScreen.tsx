// Retention (docs/api.md#retention): first-time cohorts of a start event, and the share of each cohort that did the
// return event in each later period, as a grid with a heat scale. Periods are the tenant's local days or weeks.
import { useQuery } from '@tanstack/react-query';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { catalogQueries, retentionQueries } from '../api/queries';
import type { RetentionAnswer, RetentionCohort, RetentionPeriod, RetentionQueryBody } from '../api/types';
import { useSession } from '../auth/AuthProvider';
import { ProjectSelectField, SelectField, Suggestions, TextField } from '../components/form';
import { EmptyState, QueryView } from '../components/PanelStates';
import { FilterFormActions, PropertyFilterFieldset } from '../components/PropertyFilterRows';
import { AnalyticsRangeFields } from '../components/AnalyticsRangeFields';
import { formatDateTime, formatNumber, formatShortDate } from '../lib/format';
import { hrefFor, navigate, useRoute } from '../lib/router';
import { answerZone, zoneLabel } from '../lib/timezone';
import { useNow } from '../lib/useNow';
import { useTimeZone } from '../shell/TimeZoneContext';
import { SaveToDashboard, savedQuery } from '../dashboards/SaveToDashboard';
import {
  averageRow,
  cohortCells,
  DEFAULT_PERIODS,
  heatMix,
  MAX_PERIODS,
  periodLabel,
  retentionBody,
  retentionFromParams,
  retentionToParams,
  sharePercent,
  type RetentionCell,
  type RetentionForm,
} from './retentionForm';

export function RetentionScreen() {
  const route = useRoute();
  const paramsText = route.params.toString();
  const applied = useMemo(() => retentionFromParams(new URLSearchParams(paramsText)), [paramsText]);
  const ready = applied.startEvent.trim() !== '' && applied.returnEvent.trim() !== '';
  const [ranAt, setRanAt] = useState(() => Date.now());
  const body = useMemo(() => retentionBody(applied, ranAt), [applied, ranAt]);
  const { zone } = useTimeZone();
  const now = useNow(60_000);

  function run(next: RetentionForm) {
    setRanAt(Date.now());
    navigate(hrefFor('retention', retentionToParams(next)));
  }

  return (
    <>
      <div className="section__header">
        <h1 className="page-title">Retention</h1>
        <p className="muted">
          Each row is the persons who did the start event for the first time in that period; period 0 is that period.
          Periods are days, or weeks from Monday, in {zoneLabel(zone, now)}.
        </p>
      </div>
      <RetentionEditor key={paramsText} initial={applied} onRun={run} />
      {ready ? (
        <>
          <SaveToDashboard insight={{ type: 'retention', definition: savedQuery(body) }} range={applied.range} />
          <RetentionResult body={body} onRerun={() => setRanAt(Date.now())} />
        </>
      ) : (
        <EmptyState title="Choose a start event and a return event, then show retention" />
      )}
    </>
  );
}

function RetentionEditor({ initial, onRun }: { initial: RetentionForm; onRun: (form: RetentionForm) => void }) {
  const session = useSession();
  const eventTypes = useQuery(catalogQueries.eventTypes(session));
  const [draft, setDraft] = useState<RetentionForm>(initial);
  const typesId = useId();
  const set = (patch: Partial<RetentionForm>) => setDraft({ ...draft, ...patch });
  const max = MAX_PERIODS[draft.period];

  function submit(e: FormEvent) {
    e.preventDefault();
    onRun(draft);
  }

  return (
    <form className="panel filters" aria-label="Retention query" onSubmit={submit}>
      <Suggestions id={typesId} values={eventTypes.data ?? []} />
      <div className="filters__grid">
        <TextField
          label="Start event"
          list={typesId}
          placeholder="signup"
          required
          value={draft.startEvent}
          onChange={(startEvent) => set({ startEvent })}
          hint="First time a person does it = their cohort"
        />
        <TextField
          label="Return event"
          list={typesId}
          placeholder="login"
          required
          value={draft.returnEvent}
          onChange={(returnEvent) => set({ returnEvent })}
        />
        <SelectField<RetentionPeriod>
          label="Period"
          value={draft.period}
          options={[
            { value: 'day', label: 'Day' },
            { value: 'week', label: 'Week (from Monday)' },
          ]}
          onChange={(period) => set({ period, periods: Math.min(draft.periods, MAX_PERIODS[period]) })}
        />
        <TextField
          label="Periods"
          type="number"
          min={1}
          max={max}
          value={String(draft.periods)}
          onChange={(v) => set({ periods: v === '' ? DEFAULT_PERIODS[draft.period] : Number(v) })}
          hint={`1–${max}, period 0 included`}
        />
        <ProjectSelectField value={draft.project} onChange={(project) => set({ project })} />
        <TextField
          label="Breakdown property"
          placeholder="plan or utm.source"
          value={draft.breakdown}
          onChange={(breakdown) => set({ breakdown })}
          hint="Of the start event that put the person in the cohort"
        />
        <AnalyticsRangeFields label="Cohorts in" value={draft} onChange={set} />
      </div>
      <PropertyFilterFieldset
        legend="Start event filters"
        rows={draft.startFilters}
        labelPrefix="Start event"
        addLabel="+ Start event filter"
        onChange={(startFilters) => set({ startFilters })}
      />
      <PropertyFilterFieldset
        legend="Return event filters"
        rows={draft.returnFilters}
        labelPrefix="Return event"
        addLabel="+ Return event filter"
        onChange={(returnFilters) => set({ returnFilters })}
      />
      <FilterFormActions submitLabel="Show retention" clearHref={hrefFor('retention')} />
    </form>
  );
}

function RetentionResult({ body, onRerun }: { body: RetentionQueryBody; onRerun: () => void }) {
  const session = useSession();
  const query = useQuery(retentionQueries.result(session, body));
  const tenantZone = useTimeZone();
  const [value, setValue] = useState<string | null>(null);
  return (
    <section className="section" aria-labelledby="retention-result">
      <h2 id="retention-result" className="visually-hidden">
        Retention grid
      </h2>
      <QueryView query={query} loading="Counting cohorts…" errorTitle="Could not compute retention">
        {(answer) => {
          const zone = answerZone(answer, tenantZone).zone;
          const shown = value !== null ? answer.breakdown?.find((b) => b.value === value) : undefined;
          const cohorts = shown?.cohorts ?? answer.cohorts;
          return (
            <div className="panel">
              <div className="panel__header">
                <h3 className="panel__title">
                  {formatNumber(cohorts.reduce((n, c) => n + c.size, 0))} persons in {cohorts.length} cohort
                  {cohorts.length === 1 ? '' : 's'}
                </h3>
                <span className="muted" data-testid="retention-zone">
                  {answer.period === 'day' ? 'Days' : 'Weeks from Monday'} in{' '}
                  {zoneLabel(zone, Date.parse(cohorts[0]?.start ?? '') || 0)}
                </span>
                <button type="button" className="button button--ghost" onClick={onRerun} disabled={query.isFetching}>
                  {query.isFetching ? 'Counting…' : 'Refresh'}
                </button>
              </div>
              {answer.breakdown !== undefined && (
                <SelectField
                  label="Breakdown value"
                  inline
                  value={shown?.value ?? ''}
                  options={answer.breakdown.map((b) => ({
                    value: b.value,
                    label: `${b.value === '$none' ? '(property missing)' : b.value === '$other' ? 'Other values' : b.value} (${formatNumber(b.cohorts.reduce((n, c) => n + c.size, 0))})`,
                  }))}
                  emptyLabel="All persons"
                  onChange={(v) => setValue(v === '' ? null : v)}
                />
              )}
              {cohorts.length === 0 ? (
                <EmptyState title="No cohorts in this range" />
              ) : (
                <CohortGrid answer={answer} cohorts={cohorts} zone={zone} />
              )}
            </div>
          );
        }}
      </QueryView>
    </section>
  );
}

export function CohortGrid({
  answer,
  cohorts,
  zone,
}: {
  answer: RetentionAnswer;
  cohorts: readonly RetentionCohort[];
  zone: string;
}) {
  const periods = answer.periods;
  const ks = Array.from({ length: periods }, (_, k) => k);
  const cohortLabel = (c: RetentionCohort) =>
    answer.period === 'day' ? formatShortDate(c.start, zone) : `Week of ${formatShortDate(c.start, zone)}`;
  return (
    <div className="table-scroll">
      <table className="retention-grid">
        <caption className="visually-hidden">
          Share of each cohort that did the return event, per {answer.period}
        </caption>
        <thead>
          <tr>
            <th scope="col">Cohort</th>
            <th scope="col">Persons</th>
            {ks.map((k) => (
              <th key={k} scope="col" className="num">
                {periodLabel(answer.period, k)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr className="retention-grid__average">
            <th scope="row">All cohorts</th>
            <td className="num">{formatNumber(cohorts.reduce((n, c) => n + c.size, 0))}</td>
            {averageRow(cohorts, periods).map((cell) => (
              <HeatCell key={cell.k} cell={cell} />
            ))}
          </tr>
          {cohorts.map((c) => (
            <tr key={c.start}>
              <th scope="row">
                <time dateTime={c.start} title={formatDateTime(c.start, zone)}>
                  {cohortLabel(c)}
                </time>
              </th>
              <td className="num" data-testid="cohort-size">
                {formatNumber(c.size)}
              </td>
              {cohortCells(c, periods).map((cell) => (
                <HeatCell key={cell.k} cell={cell} />
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function HeatCell({ cell }: { cell: RetentionCell }) {
  if (cell.returned === null)
    return (
      <td className="num retention-grid__future" title="This period has not begun yet">
        <span className="visually-hidden">not yet</span>
      </td>
    );
  return (
    <td
      className="num retention-grid__cell"
      // The heat as a custom property set from script (no inline style attribute: the CSP).
      ref={(el) => {
        const mix = heatMix(cell.share);
        if (el !== null && mix !== null) el.style.setProperty('--heat', `${mix}%`);
      }}
      title={`${formatNumber(cell.returned)} persons returned`}
    >
      {cell.share === null ? '—' : sharePercent(cell.share)}
      <span className="retention-grid__count">{formatNumber(cell.returned)}</span>
    </td>
  );
}

export default RetentionScreen;
