// Alert rules with their state; create/edit with a live preview of metric and threshold; enable/disable, delete;
// history of state changes and deliveries.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { alertQueries, catalogQueries } from '../api/queries';
import { api } from '../api/resources';
import { ALERT_OPS, type AlertRuleView } from '../api/types';
import { useSession } from '../auth/AuthProvider';
import { Card } from '../components/Card';
import { DataTable } from '../components/DataTable';
import {
  AdminButton,
  MetricField,
  OnceNotice,
  ProjectSelectField,
  Select,
  SelectField,
  Suggestions,
  TextAreaField,
  TextField,
} from '../components/form';
import { EmptyState, ErrorState, LoadingState, QueryView } from '../components/PanelStates';
import { LIVE_REFRESH_MS } from '../config';
import { refetchEvery } from '../api/retry';
import { durationLabel, parseDuration } from '../lib/duration';
import { formatDateTime, formatNumber } from '../lib/format';
import { useDebounced } from '../lib/useDebounced';
import { useLive } from '../shell/LiveContext';
import { useCanEdit } from '../shell/scope';
import { PreviewChart } from './PreviewChart';
import {
  draftFromRule,
  draftProblem,
  EMPTY_DRAFT,
  inputFromDraft,
  PREVIEW_RANGES,
  previewBody,
  ruleGroups,
  stateLabel,
  type PreviewRange,
  type RuleDraft,
} from './ruleForm';

type Editing = { mode: 'new' } | { mode: 'edit'; rule: AlertRuleView } | null;

export function AlertsScreen() {
  const session = useSession();
  const { live } = useLive();
  const canEdit = useCanEdit();
  const rules = useQuery({
    ...alertQueries.rules(session),
    refetchInterval: refetchEvery(live ? LIVE_REFRESH_MS : false),
  });
  const [editing, setEditing] = useState<Editing>(null);
  const [historyOf, setHistoryOf] = useState<string | null>(null);
  const [secrets, setSecrets] = useState<{ url: string; secret: string }[]>([]);

  return (
    <>
      <div className="section__header section__header--row">
        <h1 className="page-title">Alerts</h1>
        <AdminButton allowed={canEdit} className="button button--primary" onClick={() => setEditing({ mode: 'new' })}>
          New alert rule
        </AdminButton>
      </div>
      {secrets.length > 0 && (
        <OnceNotice
          title="Webhook signing secret — copy it now, it is not shown again:"
          onDismiss={() => setSecrets([])}
        >
          {secrets.map((s) => (
            <p key={s.url}>
              {s.url}: <code aria-label={`Secret for ${s.url}`}>{s.secret}</code>
            </p>
          ))}
        </OnceNotice>
      )}
      {editing !== null && (
        <RuleEditor
          key={editing.mode === 'edit' ? editing.rule.id : 'new'}
          rule={editing.mode === 'edit' ? editing.rule : null}
          onDone={(saved) => {
            setEditing(null);
            if (saved)
              setSecrets(
                saved.channels.flatMap((c) =>
                  c.type === 'webhook' && c.secret ? [{ url: c.url, secret: c.secret }] : [],
                ),
              );
          }}
        />
      )}
      <section className="section" aria-labelledby="rules-heading">
        <h2 id="rules-heading">Rules</h2>
        <QueryView
          query={rules}
          loading="Loading alert rules…"
          errorTitle="Could not load alert rules"
          empty={
            <EmptyState title="No alert rules yet">
              {canEdit ? <p>Create one with “New alert rule”.</p> : <p>An editor can create rules.</p>}
            </EmptyState>
          }
        >
          {(list) => (
            <ul className="rule-list">
              {list.map((rule) => (
                <li key={rule.id}>
                  <RuleCard
                    rule={rule}
                    canEdit={canEdit === true}
                    onEdit={() => setEditing({ mode: 'edit', rule })}
                    historyOpen={historyOf === rule.id}
                    onHistory={() => setHistoryOf(historyOf === rule.id ? null : rule.id)}
                  />
                </li>
              ))}
            </ul>
          )}
        </QueryView>
      </section>
      <HistorySection ruleId={null} title="Recent state changes (all rules)" />
    </>
  );
}

function describeRule(rule: AlertRuleView): string {
  const what =
    rule.metric === 'ratio' ? `${rule.numerator} / ${rule.denominator}` : `${rule.metric} of ${rule.event_type}`;
  const cond = rule.condition
    ? ` ${rule.condition.op} ${rule.condition.threshold}`
    : rule.metric === 'anomaly'
      ? ` (sensitivity ${String(rule.anomaly?.sensitivity ?? 3)})`
      : '';
  const per = rule.group_by ? `, per value of ${rule.group_by}` : '';
  return `${what}${cond} over ${durationLabel(rule.window)}${per}${rule.project ? ` in ${rule.project}` : ''}`;
}

function RuleCard({
  rule,
  canEdit,
  onEdit,
  historyOpen,
  onHistory,
}: {
  rule: AlertRuleView;
  canEdit: boolean;
  onEdit: () => void;
  historyOpen: boolean;
  onHistory: () => void;
}) {
  const session = useSession();
  const queryClient = useQueryClient();
  const invalidate = () => queryClient.invalidateQueries({ queryKey: alertQueries.rules(session).queryKey });
  const toggle = useMutation({
    mutationFn: () => {
      const { id: _id, status: _s, created_at: _c, updated_at: _u, channels, ...spec } = rule;
      const body = {
        ...spec,
        enabled: !rule.enabled,
        channels: channels.map((c) => (c.type === 'webhook' ? { type: 'webhook' as const, url: c.url } : c)),
      };
      return api.updateAlertRule(session.client, rule.id, body);
    },
    onSuccess: invalidate,
  });
  const remove = useMutation({ mutationFn: () => api.deleteAlertRule(session.client, rule.id), onSuccess: invalidate });
  const state = stateLabel(rule);
  const groups = ruleGroups(rule);
  return (
    <Card
      title={rule.name}
      header={
        <>
          <span
            className={`state state--${state.className}`}
            data-testid="rule-state"
            title={state.className === 'unevaluated' ? 'The alert engine has not evaluated this rule yet' : undefined}
          >
            {state.label}
          </span>
          {rule.status.since && <span className="muted">since {formatDateTime(rule.status.since)}</span>}
          {rule.status.value !== null && <span className="muted">value {formatNumber(rule.status.value)}</span>}
        </>
      }
    >
      <p>{describeRule(rule)}</p>
      {groups !== null && (
        <div className="rule-groups">
          {groups.rows.length === 0 ? (
            <p className="muted">
              No groups yet: one state per value of {rule.group_by} appears once its events arrive.
            </p>
          ) : (
            <ul aria-label={`Groups of ${rule.name}`} className="rule-groups__list">
              {groups.rows.map((g) => (
                <li key={g.key}>
                  <span className="mono">{g.label}</span>{' '}
                  <span className={`state state--${g.state}`} data-testid="group-state" title={g.error ?? undefined}>
                    {g.state}
                  </span>
                  {g.value !== null && <span className="muted"> value {formatNumber(g.value)}</span>}
                  {g.since !== null && <span className="muted"> since {formatDateTime(g.since)}</span>}
                </li>
              ))}
            </ul>
          )}
          {groups.truncated > 0 && (
            <p className="muted">{formatNumber(groups.truncated)} more groups left out by the cap of 100.</p>
          )}
        </div>
      )}
      <p className="muted">
        {rule.channels.length === 0
          ? 'No notification channels.'
          : rule.channels
              .map((c) => (c.type === 'webhook' ? `webhook ${c.url}` : `e-mail ${c.to.join(', ')}`))
              .join(' · ')}
      </p>
      <div className="editor__actions">
        <AdminButton
          allowed={canEdit}
          disabled={rule.metric === 'anomaly'}
          title={
            rule.metric === 'anomaly'
              ? 'Anomaly rules are edited through the API (PUT /v1/alert-rules/{id})'
              : undefined
          }
          onClick={onEdit}
        >
          Edit
        </AdminButton>
        <AdminButton allowed={canEdit} disabled={toggle.isPending} onClick={() => toggle.mutate()}>
          {rule.enabled ? 'Disable' : 'Enable'}
        </AdminButton>
        <AdminButton
          allowed={canEdit}
          className="button button--danger"
          disabled={remove.isPending}
          onClick={() => {
            if (window.confirm(`Delete alert rule “${rule.name}”?`)) remove.mutate();
          }}
        >
          Delete
        </AdminButton>
        <button type="button" className="button button--ghost" aria-expanded={historyOpen} onClick={onHistory}>
          {historyOpen ? 'Hide history' : 'History'}
        </button>
      </div>
      {toggle.isError && <ErrorState title="Could not change the rule" error={toggle.error} />}
      {remove.isError && <ErrorState title="Could not delete the rule" error={remove.error} />}
      {historyOpen && <HistorySection ruleId={rule.id} title={`History of ${rule.name}`} />}
    </Card>
  );
}

function HistorySection({ ruleId, title }: { ruleId: string | null; title: string }) {
  const session = useSession();
  const { live } = useLive();
  const history = useQuery({
    ...alertQueries.history(session, ruleId),
    refetchInterval: refetchEvery(live ? LIVE_REFRESH_MS : false),
  });
  const headingId = useId();
  return (
    <section className="section" aria-labelledby={headingId}>
      <h3 id={headingId}>{title}</h3>
      <QueryView
        query={history}
        loading="Loading history…"
        errorTitle="Could not load the history"
        empty={<EmptyState title="No state changes yet" />}
        isEmpty={(data) => data.alerts.length === 0}
      >
        {(data) => (
          <DataTable caption={title} columns={['At', ruleId === null && 'Rule', 'Change', 'Value', 'Deliveries']}>
            {data.alerts.map((a) => (
              <tr key={a.id}>
                <td>{formatDateTime(a.at)}</td>
                {ruleId === null && <td>{a.rule_name}</td>}
                <td>
                  {a.from} → <strong>{a.to}</strong>
                  {a.silenced && <span className="muted"> (silenced by cooldown)</span>}
                  {a.error && <span className="form-error"> {a.error}</span>}
                </td>
                <td className="num">
                  {a.value === null ? '—' : formatNumber(a.value)}
                  {a.threshold !== null && <span className="muted"> / {formatNumber(a.threshold)}</span>}
                </td>
                <td>
                  {a.deliveries.length === 0 ? (
                    <span className="muted">none</span>
                  ) : (
                    <ul className="plain-list">
                      {a.deliveries.map((d) => (
                        <li key={d.id}>
                          {d.channel} {d.target}: <strong>{d.status}</strong>
                          {d.attempts.length > 0 && (
                            <span className="muted">
                              {' '}
                              ({d.attempts.length} attempt{d.attempts.length === 1 ? '' : 's'}, last{' '}
                              {d.attempts[d.attempts.length - 1]!.outcome}
                              {d.attempts[d.attempts.length - 1]!.status_code !== null
                                ? ` ${d.attempts[d.attempts.length - 1]!.status_code}`
                                : ''}
                              )
                            </span>
                          )}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </QueryView>
    </section>
  );
}

function RuleEditor({ rule, onDone }: { rule: AlertRuleView | null; onDone: (saved: AlertRuleView | null) => void }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const eventTypes = useQuery(catalogQueries.eventTypes(session));
  const [draft, setDraft] = useState<RuleDraft>(() => (rule ? draftFromRule(rule) : { ...EMPTY_DRAFT, eventType: '' }));
  const [previewRange, setPreviewRange] = useState<PreviewRange>('1h');
  const id = useId();
  const set = (patch: Partial<RuleDraft>) => setDraft({ ...draft, ...patch });
  const problem = draftProblem(draft);
  const settled = useDebounced(problem === null ? inputFromDraft({ ...draft, name: '' }) : null, 500);

  const preview = useQuery({
    queryKey: ['alert-preview', session.keyFingerprint, settled, previewRange] as const,
    queryFn: ({ signal }) =>
      api.previewAlertRule(session.client, previewBody(settled!, parseDuration(previewRange)!, Date.now()), signal),
    enabled: settled !== null,
    placeholderData: (previous) => previous,
  });

  const save = useMutation({
    mutationFn: () =>
      rule
        ? api.updateAlertRule(session.client, rule.id, inputFromDraft(draft))
        : api.createAlertRule(session.client, inputFromDraft(draft)),
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: alertQueries.rules(session).queryKey });
      onDone(saved);
    },
  });

  const isRatio = draft.metric === 'ratio';
  return (
    <form
      className="panel editor"
      aria-label={rule ? `Edit alert rule ${rule.name}` : 'New alert rule'}
      onSubmit={(e) => {
        e.preventDefault();
        if (problem === null && draft.name.trim() !== '') save.mutate();
      }}
    >
      <h2 className="panel__title">{rule ? `Edit “${rule.name}”` : 'New alert rule'}</h2>
      <Suggestions id="alert-event-types" values={eventTypes.data ?? []} />
      <div className="filters__grid">
        <TextField label="Name" required maxLength={200} value={draft.name} onChange={(name) => set({ name })} />
        <ProjectSelectField value={draft.project} onChange={(project) => set({ project })} />
        <MetricField value={draft.metric} onChange={(metric) => set({ metric })} extra={['ratio']} />
        {isRatio ? (
          <>
            <TextField
              label="Numerator event type"
              list="alert-event-types"
              value={draft.numerator}
              onChange={(numerator) => set({ numerator })}
            />
            <TextField
              label="Denominator event type"
              list="alert-event-types"
              value={draft.denominator}
              onChange={(denominator) => set({ denominator })}
            />
          </>
        ) : (
          <TextField
            label="Event type"
            list="alert-event-types"
            value={draft.eventType}
            onChange={(eventType) => set({ eventType })}
          />
        )}
        <TextField
          label="Property filter"
          placeholder="region=eu"
          value={draft.filterText}
          onChange={(filterText) => set({ filterText })}
        />
        {/* Every metric the form offers takes group_by, ratios too (numerator and denominator counted per value);
            only anomaly rules, which this form does not edit, cannot (docs/api.md#per-segment-rules-group_by). */}
        <TextField
          label="Alert per value of (optional)"
          placeholder="plan or region"
          hint={
            isRatio
              ? 'A property path: one state per value, numerator and denominator counted per value (a value without denominator events has no data).'
              : 'A property path: one state per value (per-segment alerts).'
          }
          value={draft.groupBy}
          onChange={(groupBy) => set({ groupBy })}
        />
        <SelectField label="Condition" value={draft.op} options={ALERT_OPS} onChange={(op) => set({ op })} />
        <TextField
          label="Threshold"
          inputMode="decimal"
          value={draft.threshold}
          onChange={(threshold) => set({ threshold })}
        />
        <TextField label="Window" value={draft.window} onChange={(window) => set({ window })} />
        <TextField
          label="For (pending before firing)"
          value={draft.forDuration}
          onChange={(forDuration) => set({ forDuration })}
        />
        <TextField label="Cooldown" value={draft.cooldown} onChange={(cooldown) => set({ cooldown })} />
        <TextAreaField
          label="Webhook URLs (one per line)"
          rows={2}
          value={draft.webhooks}
          onChange={(webhooks) => set({ webhooks })}
        />
        <TextField
          label="E-mail addresses"
          type="text"
          placeholder="ops@example.com"
          value={draft.emails}
          onChange={(emails) => set({ emails })}
        />
        <label className="checkbox">
          <input type="checkbox" checked={draft.enabled} onChange={(e) => set({ enabled: e.target.checked })} /> Enabled
        </label>
      </div>

      <section className="preview" aria-labelledby={`${id}-preview`}>
        <div className="section__header section__header--row">
          <h3 id={`${id}-preview`}>Preview</h3>
          <label className="field__label" htmlFor={`${id}-prange`}>
            over the last
          </label>
          <Select
            id={`${id}-prange`}
            value={previewRange}
            options={PREVIEW_RANGES.map((r) => ({ value: r, label: durationLabel(r) }))}
            onChange={setPreviewRange}
          />
          {preview.isFetching && <span className="muted">updating…</span>}
        </div>
        {problem !== null ? (
          <p className="muted">{problem}</p>
        ) : preview.data === undefined ? (
          preview.isError ? (
            <ErrorState title="Could not preview the rule" error={preview.error} />
          ) : (
            <LoadingState label="Evaluating the rule over past data…" />
          )
        ) : (
          <>
            <PreviewChart preview={preview.data} />
            <p role="status">
              {preview.data.fired.length === 0
                ? 'Would not have fired in this range.'
                : `Would have fired ${preview.data.fired.length} time${preview.data.fired.length === 1 ? '' : 's'}, last at ${formatDateTime(preview.data.fired[preview.data.fired.length - 1]!)}.`}
            </p>
            {preview.isError && <ErrorState title="Could not update the preview" error={preview.error} />}
          </>
        )}
      </section>

      <div className="editor__actions">
        <button
          type="submit"
          className="button button--primary"
          disabled={save.isPending || problem !== null || draft.name.trim() === ''}
        >
          {save.isPending ? 'Saving…' : rule ? 'Save rule' : 'Create rule'}
        </button>
        <button type="button" className="button button--ghost" onClick={() => onDone(null)}>
          Cancel
        </button>
      </div>
      {save.isError && <ErrorState title="Could not save the rule" error={save.error} />}
    </form>
  );
}

export default AlertsScreen;
