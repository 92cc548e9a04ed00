// Funnels (docs/api.md#funnels): steps with filters, window, order, breakdown and exclusions (kept in the URL), a
// bar chart of converted and dropped persons per step, and a click on a bar (or a row's buttons) to list the persons.
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { adminQueries, catalogQueries, FUNNEL_PERSONS_PAGE, funnelQueries } from '../api/queries';
import type { FunnelAnswer, FunnelOrder, FunnelQueryBody, FunnelStepResult } from '../api/types';
import { useSession } from '../auth/AuthProvider';
import { DataTable } from '../components/DataTable';
import { Field, ProjectSelectField, Select, SelectField, Suggestions, TextField } from '../components/form';
import { LoadMore } from '../components/Paging';
import { EmptyState, ErrorState, LoadingState, QueryView } from '../components/PanelStates';
import { FilterFormActions, PropertyFilterRows } from '../components/PropertyFilterRows';
import { AnalyticsRangeFields } from '../components/AnalyticsRangeFields';
import { durationLabel } from '../lib/duration';
import { formatDateTime, formatNumber } from '../lib/format';
import { hrefFor, navigate, personHref, useRoute } from '../lib/router';
import { zoneLabel } from '../lib/timezone';
import { useNow } from '../lib/useNow';
import { useTimeZone } from '../shell/TimeZoneContext';
import { SaveToDashboard, savedQuery } from '../dashboards/SaveToDashboard';
import {
  canListPersons,
  chartRows,
  emptyStep,
  FUNNEL_ORDERS,
  funnelBody,
  funnelFromParams,
  funnelToParams,
  formatPercent,
  formatSeconds,
  MAX_STEPS,
  MIN_STEPS,
  personsBody,
  stepsFor,
  WINDOW_CHOICES,
  type FunnelForm,
  type PersonsSelection,
} from './funnelForm';

const CONVERTED_COLOR = '#2f6fde';
const DROPPED_COLOR = '#d55e00';

export function FunnelsScreen() {
  const route = useRoute();
  const paramsText = route.params.toString();
  const applied = useMemo(() => funnelFromParams(new URLSearchParams(paramsText)), [paramsText]);
  const ready = applied.steps.every((s) => s.eventType.trim() !== '');
  // A relative range ends when the funnel is run (Run, or a new route), not on every render.
  const [ranAt, setRanAt] = useState(() => Date.now());
  const body = useMemo(() => funnelBody(applied, ranAt), [applied, ranAt]);
  const { zone } = useTimeZone();
  const now = useNow(60_000);

  function run(next: FunnelForm) {
    setRanAt(Date.now());
    navigate(hrefFor('funnels', funnelToParams(next)));
  }

  return (
    <>
      <div className="section__header">
        <h1 className="page-title">Funnels</h1>
        <p className="muted">
          Persons (ids merged by identify and alias count once) who did the steps within the window. Times are in{' '}
          {zoneLabel(zone, now)}.
        </p>
      </div>
      <FunnelEditor key={paramsText} initial={applied} onRun={run} />
      {ready ? (
        <>
          <SaveToDashboard insight={{ type: 'funnel', definition: savedQuery(body) }} range={applied.range} />
          <FunnelResult body={body} onRerun={() => setRanAt(Date.now())} />
        </>
      ) : (
        <EmptyState title="Choose an event type for every step, then run the funnel" />
      )}
    </>
  );
}

function FunnelEditor({ initial, onRun }: { initial: FunnelForm; onRun: (form: FunnelForm) => void }) {
  const session = useSession();
  const eventTypes = useQuery(catalogQueries.eventTypes(session));
  const projects = useQuery(adminQueries.projects(session));
  const [draft, setDraft] = useState<FunnelForm>(initial);
  const typesId = useId();
  const set = (patch: Partial<FunnelForm>) => setDraft({ ...draft, ...patch });
  // Persons are counted within one project: the first one is the default.
  const project = draft.project || (projects.data?.[0]?.slug ?? '');
  const stepChoices = draft.steps.map((_, i) => ({ value: String(i + 1), label: `Step ${i + 1}` }));

  function submit(e: FormEvent) {
    e.preventDefault();
    onRun({ ...draft, project });
  }

  return (
    <form className="panel filters funnel-form" aria-label="Funnel definition" onSubmit={submit}>
      <Suggestions id={typesId} values={eventTypes.data ?? []} />
      <ol className="funnel-steps">
        {draft.steps.map((step, i) => (
          <li key={i} className="funnel-step">
            <fieldset className="funnel-step__fields">
              <legend className="field__label">Step {i + 1}</legend>
              <TextField
                label={`Step ${i + 1} event type`}
                list={typesId}
                placeholder="signup"
                value={step.eventType}
                required
                onChange={(eventType) => set({ steps: draft.steps.map((s, j) => (j === i ? { ...s, eventType } : s)) })}
              />
              <PropertyFilterRows
                rows={step.filters}
                labelPrefix={`Step ${i + 1}`}
                addLabel="+ Filter"
                onChange={(filters) => set({ steps: draft.steps.map((s, j) => (j === i ? { ...s, filters } : s)) })}
              />
              {draft.steps.length > MIN_STEPS && (
                <button
                  type="button"
                  className="button button--ghost"
                  aria-label={`Remove step ${i + 1}`}
                  onClick={() =>
                    set({
                      steps: draft.steps.filter((_, j) => j !== i),
                      exclusions: draft.exclusions.filter((x) => x.toStep <= draft.steps.length - 1),
                    })
                  }
                >
                  Remove step
                </button>
              )}
            </fieldset>
          </li>
        ))}
      </ol>
      <div className="filters__actions">
        <button
          type="button"
          className="button"
          disabled={draft.steps.length >= MAX_STEPS}
          title={draft.steps.length >= MAX_STEPS ? `A funnel has at most ${MAX_STEPS} steps` : undefined}
          onClick={() => set({ steps: [...draft.steps, emptyStep()] })}
        >
          + Add step
        </button>
      </div>
      <div className="filters__grid">
        <ProjectSelectField value={project} onChange={(p) => set({ project: p })} emptyLabel="The key’s project" />
        <SelectField
          label="Conversion window"
          value={draft.window}
          options={[...new Set([...WINDOW_CHOICES, draft.window])].map((w) => ({
            value: w,
            label: durationLabel(w),
          }))}
          onChange={(window) => set({ window })}
        />
        <SelectField<FunnelOrder>
          label="Order"
          value={draft.order}
          options={FUNNEL_ORDERS}
          onChange={(order) => set({ order })}
        />
        <TextField
          label="Breakdown property"
          placeholder="plan or utm.source"
          value={draft.breakdown}
          onChange={(breakdown) => set({ breakdown })}
          hint="By the first step's event (first touch)"
        />
        <AnalyticsRangeFields label="Range (first step)" value={draft} onChange={set} />
      </div>
      <fieldset className="filters__props">
        <legend className="field__label">Exclusions (a person who did this between two steps is left out)</legend>
        {draft.exclusions.map((x, i) => (
          <div key={i} className="filters__prop">
            <Field label={`Exclusion ${i + 1} event type`} labelClassName="visually-hidden">
              {(id) => (
                <input
                  id={id}
                  className="input"
                  list={typesId}
                  placeholder="cancel"
                  value={x.eventType}
                  onChange={(e) =>
                    set({
                      exclusions: draft.exclusions.map((y, j) => (j === i ? { ...y, eventType: e.target.value } : y)),
                    })
                  }
                />
              )}
            </Field>
            <span>between</span>
            <Field label={`Exclusion ${i + 1} from step`} labelClassName="visually-hidden">
              {(id) => (
                <Select
                  id={id}
                  value={String(x.fromStep)}
                  options={stepChoices}
                  onChange={(v) =>
                    set({ exclusions: draft.exclusions.map((y, j) => (j === i ? { ...y, fromStep: Number(v) } : y)) })
                  }
                />
              )}
            </Field>
            <span>and</span>
            <Field label={`Exclusion ${i + 1} to step`} labelClassName="visually-hidden">
              {(id) => (
                <Select
                  id={id}
                  value={String(x.toStep)}
                  options={stepChoices}
                  onChange={(v) =>
                    set({ exclusions: draft.exclusions.map((y, j) => (j === i ? { ...y, toStep: Number(v) } : y)) })
                  }
                />
              )}
            </Field>
            <button
              type="button"
              className="button button--ghost"
              aria-label={`Remove exclusion ${i + 1}`}
              onClick={() => set({ exclusions: draft.exclusions.filter((_, j) => j !== i) })}
            >
              ✕
            </button>
          </div>
        ))}
        <button
          type="button"
          className="button button--ghost"
          onClick={() =>
            set({
              exclusions: [
                ...draft.exclusions,
                { eventType: '', filters: [], fromStep: 1, toStep: Math.min(2, draft.steps.length) },
              ],
            })
          }
        >
          + Exclusion
        </button>
      </fieldset>
      <FilterFormActions submitLabel="Run funnel" clearHref={hrefFor('funnels')} />
    </form>
  );
}

function FunnelResult({ body, onRerun }: { body: FunnelQueryBody; onRerun: () => void }) {
  const session = useSession();
  const query = useQuery(funnelQueries.result(session, body));
  const [value, setValue] = useState<string | null>(null);
  const [selection, setSelection] = useState<PersonsSelection | null>(null);
  return (
    <section className="section" aria-labelledby="funnel-result">
      <h2 id="funnel-result" className="visually-hidden">
        Funnel result
      </h2>
      <QueryView query={query} loading="Counting persons…" errorTitle="Could not run the funnel">
        {(answer) => {
          const shownValue = value !== null && answer.breakdown_values?.some((b) => b.value === value) ? value : null;
          const steps = stepsFor(answer, shownValue);
          const select = (step: number, status: PersonsSelection['status']) =>
            setSelection({ step, status, breakdownValue: shownValue });
          return (
            <>
              <div className="panel">
                <div className="panel__header">
                  <h3 className="panel__title">
                    {answer.steps[0]?.count === 0
                      ? 'Nobody entered this funnel in the range'
                      : `${formatPercent(steps[steps.length - 1]?.conversion_from_first ?? null)} converted from step 1 to step ${steps.length}`}
                  </h3>
                  <span className="muted">
                    {formatDateTime(answer.from)} – {formatDateTime(answer.to)} · window {durationLabel(answer.window)}{' '}
                    · {answer.project}
                  </span>
                  <button type="button" className="button button--ghost" onClick={onRerun} disabled={query.isFetching}>
                    {query.isFetching ? 'Running…' : 'Run again'}
                  </button>
                </div>
                {answer.breakdown_values !== undefined && (
                  <SelectField
                    label={`Breakdown value (${answer.breakdown ?? ''})`}
                    inline
                    value={shownValue ?? ''}
                    options={answer.breakdown_values.map((b) => ({
                      value: b.value,
                      label: `${breakdownLabel(b.value)} (${formatNumber(b.steps[0]?.count ?? 0)})`,
                    }))}
                    emptyLabel="All persons"
                    onChange={(v) => (setValue(v === '' ? null : v), setSelection(null))}
                  />
                )}
                <FunnelChart
                  steps={steps}
                  onSelect={canListPersons(shownValue) ? select : undefined}
                  caption={shownValue === null ? 'All persons' : breakdownLabel(shownValue)}
                />
                <StepTable steps={steps} onSelect={canListPersons(shownValue) ? select : undefined} />
                {!canListPersons(shownValue) && (
                  <p className="panel__note">“Other values” groups many values: pick one value to list its persons.</p>
                )}
              </div>
              {answer.breakdown_values !== undefined && (
                <BreakdownTable answer={answer} onPick={(v) => (setValue(v), setSelection(null))} />
              )}
              {selection !== null && (
                <PersonsPanel
                  key={JSON.stringify(selection)}
                  body={body}
                  answer={answer}
                  selection={selection}
                  onClose={() => setSelection(null)}
                />
              )}
            </>
          );
        }}
      </QueryView>
    </section>
  );
}

const breakdownLabel = (value: string) =>
  value === '$none' ? '(property missing)' : value === '$other' ? 'Other values' : value;

export function FunnelChart({
  steps,
  caption,
  onSelect,
}: {
  steps: readonly FunnelStepResult[];
  caption: string;
  onSelect?: (step: number, status: PersonsSelection['status']) => void;
}) {
  const rows = chartRows(steps);
  const click = (status: PersonsSelection['status']) => (_: unknown, index: number) => {
    const row = rows[index];
    if (!row || !onSelect) return;
    if (status === 'dropped' && row.step === 1) return;
    onSelect(row.step, status);
  };
  return (
    <figure className="chart chart--tall funnel-chart" data-clickable={onSelect ? 'true' : undefined}>
      <figcaption className="visually-hidden">
        Converted and dropped persons per step: {caption}. Click a bar to list its persons.
      </figcaption>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} stroke="currentColor" strokeOpacity={0.12} />
          <XAxis dataKey="label" tick={{ fontSize: 11 }} stroke="currentColor" strokeOpacity={0.4} interval={0} />
          <YAxis
            allowDecimals={false}
            width={44}
            tickFormatter={(v: number) => formatNumber(v)}
            tick={{ fontSize: 11 }}
            stroke="currentColor"
            strokeOpacity={0.4}
          />
          <Tooltip
            formatter={(v, name) => [formatNumber(Number(v)), name === 'converted' ? 'Converted' : 'Dropped']}
            labelFormatter={(label) => `${String(label)}${onSelect ? ' · click a bar for its persons' : ''}`}
          />
          <Legend formatter={(name) => (name === 'converted' ? 'Converted' : 'Dropped off')} />
          <Bar
            dataKey="converted"
            stackId="funnel"
            fill={CONVERTED_COLOR}
            isAnimationActive={false}
            cursor={onSelect ? 'pointer' : undefined}
            onClick={click('converted')}
          />
          <Bar
            dataKey="dropped"
            stackId="funnel"
            fill={DROPPED_COLOR}
            fillOpacity={0.55}
            isAnimationActive={false}
            cursor={onSelect ? 'pointer' : undefined}
            onClick={click('dropped')}
          />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}

export function StepTable({
  steps,
  onSelect,
}: {
  steps: readonly FunnelStepResult[];
  onSelect?: (step: number, status: PersonsSelection['status']) => void;
}) {
  return (
    <DataTable
      caption="Funnel steps"
      columns={[
        'Step',
        'Persons',
        'From step 1',
        'From previous',
        'Dropped off',
        'Median time',
        'Average time',
        onSelect !== undefined && 'Persons',
      ]}
    >
      {steps.map((s) => (
        <tr key={s.step}>
          <td>
            {s.step}. {s.event_type}
          </td>
          <td className="num" data-testid={`step-${s.step}-count`}>
            {formatNumber(s.count)}
          </td>
          <td className="num">{formatPercent(s.conversion_from_first)}</td>
          <td className="num">{s.step === 1 ? '—' : formatPercent(s.conversion_from_previous)}</td>
          <td className="num" data-testid={`step-${s.step}-dropped`}>
            {s.step === 1 ? '—' : formatNumber(s.drop_off)}
          </td>
          <td className="num">{formatSeconds(s.median_seconds_to_convert)}</td>
          <td className="num">{formatSeconds(s.average_seconds_to_convert)}</td>
          {onSelect !== undefined && (
            <td>
              <button
                type="button"
                className="button button--small"
                aria-label={`Persons who reached step ${s.step}`}
                disabled={s.count === 0}
                onClick={() => onSelect(s.step, 'converted')}
              >
                Converted
              </button>{' '}
              {s.step > 1 && (
                <button
                  type="button"
                  className="button button--small"
                  aria-label={`Persons who dropped off before step ${s.step}`}
                  disabled={s.drop_off === 0}
                  onClick={() => onSelect(s.step, 'dropped')}
                >
                  Dropped
                </button>
              )}
            </td>
          )}
        </tr>
      ))}
    </DataTable>
  );
}

function BreakdownTable({ answer, onPick }: { answer: FunnelAnswer; onPick: (value: string) => void }) {
  const last = answer.steps.length;
  return (
    <div className="panel panel--flush">
      <DataTable
        caption={`Funnel by ${answer.breakdown ?? ''}`}
        columns={[answer.breakdown, 'Entered', `Reached step ${last}`, 'Conversion']}
      >
        {(answer.breakdown_values ?? []).map((b) => (
          <tr key={b.value}>
            <td>
              <button type="button" className="button button--link" onClick={() => onPick(b.value)}>
                {breakdownLabel(b.value)}
              </button>
            </td>
            <td className="num">{formatNumber(b.steps[0]?.count ?? 0)}</td>
            <td className="num">{formatNumber(b.steps[last - 1]?.count ?? 0)}</td>
            <td className="num">{formatPercent(b.steps[last - 1]?.conversion_from_first ?? null)}</td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}

function PersonsPanel({
  body,
  answer,
  selection,
  onClose,
}: {
  body: FunnelQueryBody;
  answer: FunnelAnswer;
  selection: PersonsSelection;
  onClose: () => void;
}) {
  const session = useSession();
  const base = personsBody(body, answer, selection, null, FUNNEL_PERSONS_PAGE);
  const query = useInfiniteQuery(funnelQueries.persons(session, base));
  const persons = query.data?.pages.flatMap((p) => p.persons) ?? [];
  const step = answer.steps[selection.step - 1];
  const title =
    selection.status === 'converted'
      ? `Persons who reached step ${selection.step} (${step?.event_type ?? ''})`
      : `Persons who did step ${selection.step - 1} but not step ${selection.step} (${step?.event_type ?? ''})`;
  return (
    <section className="panel" aria-label="Funnel persons">
      <div className="panel__header">
        <h3 className="panel__title">
          {title}
          {selection.breakdownValue !== null && ` · ${breakdownLabel(selection.breakdownValue)}`}
        </h3>
        <button type="button" className="button button--ghost" onClick={onClose}>
          Close
        </button>
      </div>
      {query.isPending ? (
        <LoadingState label="Loading persons…" />
      ) : query.data === undefined ? (
        <ErrorState title="Could not list the persons" error={query.error} onRetry={() => void query.refetch()} />
      ) : persons.length === 0 ? (
        <EmptyState title="Nobody here" />
      ) : (
        <>
          <DataTable caption={title} columns={['Person', 'Entered', 'Steps reached', 'Last step at']}>
            {persons.map((p) => (
              <tr key={p.person_id}>
                <td>
                  <a href={personHref(p.person_id, answer.project)}>{p.person_id}</a>
                </td>
                <td>
                  <time dateTime={p.entered_at}>{formatDateTime(p.entered_at)}</time>
                </td>
                <td className="num">{p.reached_step}</td>
                <td>{p.step_times.length > 0 ? formatDateTime(p.step_times[p.step_times.length - 1]!) : '—'}</td>
              </tr>
            ))}
          </DataTable>
          <div className="panel__footer">
            <span className="muted" role="status">
              Showing {formatNumber(persons.length)} person{persons.length === 1 ? '' : 's'}
            </span>
            <LoadMore query={query} done={null} />
          </div>
        </>
      )}
    </section>
  );
}

export default FunnelsScreen;
