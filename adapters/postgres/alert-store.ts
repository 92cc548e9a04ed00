// Alert states, the history of transitions and the notification outbox (docs/architecture.md#rule-8-alerts-read-the-truth-once-it-is-written): a transition and its
// notifications are written by the caller's transaction (createAlertStore: the port of core/alert-evaluation.ts).
import { bindSql, type Sql } from './client';
import { INITIAL_STATE, type AlertState, type AlertStateName } from '../../core/alert-state';
import type {
  AlertStateStore,
  AlertTransaction,
  HistoryEntry,
  NewNotification,
  WindowReader,
} from '../../core/alert-evaluation';
import { createAlertWindows } from './alert-windows';
import { logger } from '../logger';

interface StateRow {
  state: AlertStateName;
  since: Date;
  pending_since: Date | null;
  clear_since: Date | null;
  last_fired_notified_at: Date | null;
  value: number | null;
  error: string | null;
}

const ms = (d: Date | null) => (d === null ? null : d.getTime());
const date = (m: number | null) => (m === null ? null : new Date(m));

/** The rule's state, locked until the transaction ends (created as `ok` on first use). */
export async function lockState(tx: Sql, tenantId: string, ruleId: string, nowMs: number): Promise<AlertState> {
  await tx`
    insert into alert_states (tenant_id, rule_id, state, since, evaluated_at) values (${tenantId}, ${ruleId}, 'ok', ${new Date(nowMs)}, ${new Date(nowMs)})
    on conflict do nothing`;
  const [r] = await tx<StateRow[]>`
    select state, since, pending_since, clear_since, last_fired_notified_at, value, error
    from alert_states where tenant_id = ${tenantId} and rule_id = ${ruleId} for update`;
  if (!r) return { ...INITIAL_STATE, sinceMs: nowMs }; // the rule was deleted meanwhile
  return fromRow(r);
}

const fromRow = (r: StateRow): AlertState => ({
  state: r.state,
  sinceMs: r.since.getTime(),
  pendingSinceMs: ms(r.pending_since),
  clearSinceMs: ms(r.clear_since),
  lastFiredNotifiedAtMs: ms(r.last_fired_notified_at),
  value: r.value,
  error: r.error,
});

/** The states of a group_by rule's groups; the caller holds the rule's lock (lockState), which serializes writers. */
export async function groupStates(tx: Sql, tenantId: string, ruleId: string): Promise<Map<string, AlertState>> {
  const rows = await tx<(StateRow & { group_key: string })[]>`
    select group_key, state, since, pending_since, clear_since, last_fired_notified_at, value, error
    from alert_group_states where tenant_id = ${tenantId} and rule_id = ${ruleId}`;
  return new Map(rows.map((r) => [r.group_key, fromRow(r)]));
}

/** Upserts the groups of `save` and deletes those of `forget`, in the caller's transaction. */
export async function saveGroups(
  tx: Sql,
  tenantId: string,
  ruleId: string,
  save: { key: string; state: AlertState }[],
  forget: string[],
  nowMs: number,
): Promise<void> {
  if (forget.length > 0)
    await tx`delete from alert_group_states where tenant_id = ${tenantId} and rule_id = ${ruleId} and group_key = any(${tx.array(forget)}::text[])`;
  if (save.length === 0) return;
  const iso = (m: number | null) => (m === null ? null : new Date(m).toISOString());
  const rows = save.map(({ key, state: s }) => ({
    k: key,
    st: s.state,
    si: iso(s.sinceMs),
    ps: iso(s.pendingSinceMs),
    cs: iso(s.clearSinceMs),
    lf: iso(s.lastFiredNotifiedAtMs),
    v: s.value,
    e: s.error,
  }));
  // Values travel as JSON: a double's JSON text reads back as the same float8.
  await tx`
    insert into alert_group_states (tenant_id, rule_id, group_key, state, since, pending_since, clear_since, last_fired_notified_at, value, error, evaluated_at)
    select ${tenantId}, ${ruleId}, x.k, x.st, x.si, x.ps, x.cs, x.lf, x.v, x.e, ${new Date(nowMs)}
    from jsonb_to_recordset(${tx.json(rows as never)})
      as x(k text, st text, si timestamptz, ps timestamptz, cs timestamptz, lf timestamptz, v float8, e text)
    on conflict (tenant_id, rule_id, group_key) do update set
      state = excluded.state, since = excluded.since, pending_since = excluded.pending_since,
      clear_since = excluded.clear_since, last_fired_notified_at = excluded.last_fired_notified_at,
      value = excluded.value, error = excluded.error, evaluated_at = excluded.evaluated_at`;
}

export async function saveState(
  tx: Sql,
  tenantId: string,
  ruleId: string,
  s: AlertState,
  nowMs: number,
  groupsTruncated: number | null = null,
): Promise<void> {
  await tx`
    update alert_states set state = ${s.state}, since = ${new Date(s.sinceMs)}, pending_since = ${date(s.pendingSinceMs)},
           clear_since = ${date(s.clearSinceMs)}, last_fired_notified_at = ${date(s.lastFiredNotifiedAtMs)},
           value = ${s.value}, error = ${s.error}, evaluated_at = ${new Date(nowMs)}, groups_truncated = ${groupsTruncated}
    where tenant_id = ${tenantId} and rule_id = ${ruleId}`;
}

export async function insertHistory(tx: Sql, h: HistoryEntry): Promise<void> {
  await tx`
    insert into alert_history (tenant_id, id, rule_id, rule_name, from_state, to_state, value, threshold, window_ms, at, notification, silenced, error, group_by, group_key)
    values (${h.tenantId}, ${h.id}, ${h.ruleId}, ${h.ruleName}, ${h.from}, ${h.to}, ${h.value}, ${h.threshold}, ${h.windowMs},
            ${new Date(h.atMs)}, ${h.notification}, ${h.silenced}, ${h.error}, ${h.groupBy}, ${h.groupKey})`;
}

export async function insertNotifications(tx: Sql, rows: NewNotification[]): Promise<void> {
  if (rows.length === 0) return;
  await tx`
    insert into notifications (tenant_id, id, rule_id, history_id, channel, payload, next_attempt_at)
    select x.t, x.id, x.r, x.h, x.c, x.p, x.due
    from jsonb_to_recordset(${tx.json(rows.map((n) => ({ t: n.tenantId, id: n.id, r: n.ruleId, h: n.historyId, c: n.channel, p: n.payload, due: new Date(n.dueMs).toISOString() })) as never)})
      as x(t uuid, id uuid, r uuid, h uuid, c jsonb, p jsonb, due timestamptz)`;
}

export interface HistoryView {
  id: string;
  rule_id: string;
  rule_name: string;
  from: string;
  to: string;
  value: number | null;
  threshold: number;
  window_ms: number;
  /** group_by rules: {"<path>": "<value>"}; null otherwise. */
  group: Record<string, string> | null;
  at: string;
  notification: string | null;
  silenced: boolean;
  error: string | null;
  deliveries: {
    id: string;
    channel: string;
    target: string;
    status: string;
    /** The last attempt's error (for a failed delivery: why it was given up), null once delivered. */
    error: string | null;
    attempts: {
      attempt: number;
      at: string;
      outcome: string;
      status_code: number | null;
      error: string | null;
      duration_ms: number;
    }[];
  }[];
}

/** A tenant's transitions, newest first, with each notification's delivery attempts. Pages by `before` (a history id). */
export async function listHistory(
  sql: Sql,
  tenantId: string,
  q: { ruleId?: string; group?: string; before?: string; limit: number },
): Promise<HistoryView[]> {
  const rule = q.ruleId ?? null;
  const group = q.group ?? null;
  const before = q.before ?? null;
  return sql<HistoryView[]>`
    select h.id, h.rule_id, h.rule_name, h.from_state as "from", h.to_state as "to", h.value, h.threshold, h.window_ms::int as window_ms,
           case when h.group_key is null then null else jsonb_build_object(h.group_by, h.group_key) end as "group",
           to_char(h.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at, h.notification, h.silenced, h.error,
           coalesce((
             select jsonb_agg(jsonb_build_object(
                      'id', n.id, 'channel', n.channel->>'type',
                      'target', case when n.channel->>'type' = 'webhook' then n.channel->>'url' else array_to_string(array(select jsonb_array_elements_text(n.channel->'to')), ', ') end,
                      'status', n.status, 'error', n.last_error,
                      'attempts', coalesce((
                        select jsonb_agg(jsonb_build_object('attempt', a.attempt, 'at', to_char(a.started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                                                            'outcome', a.outcome, 'status_code', a.status_code, 'error', a.error, 'duration_ms', a.duration_ms) order by a.attempt)
                        from delivery_attempts a where a.tenant_id = n.tenant_id and a.notification_id = n.id), '[]'::jsonb)
                    ) order by n.created_at, n.id)
             from notifications n where n.tenant_id = h.tenant_id and n.history_id = h.id), '[]'::jsonb) as deliveries
    from alert_history h
    where h.tenant_id = ${tenantId} and (${rule}::uuid is null or h.rule_id = ${rule}::uuid)
      and (${group}::text is null or h.group_key = ${group}::text)
      and (${before}::uuid is null or h.seq < (select b.seq from alert_history b where b.tenant_id = ${tenantId} and b.id = ${before}::uuid))
    order by h.seq desc
    limit ${q.limit}`;
}

export async function currentStates(
  sql: Sql,
  tenantId: string,
): Promise<Map<string, { state: string; since: string; value: number | null; groups_truncated: number | null }>> {
  const rows = await sql<
    { rule_id: string; state: string; since: Date; value: number | null; groups_truncated: number | null }[]
  >`select rule_id, state, since, value, groups_truncated from alert_states where tenant_id = ${tenantId}`;
  return new Map(
    rows.map((r) => [
      r.rule_id,
      { state: r.state, since: r.since.toISOString(), value: r.value, groups_truncated: r.groups_truncated },
    ]),
  );
}

export interface GroupStateView {
  key: string;
  state: string;
  since: string;
  value: number | null;
  error: string | null;
  evaluated_at: string;
}

/** The groups of the tenant's group_by rules (or of one rule), by rule id, each rule's firing groups first. */
export async function groupStatesOf(
  sql: Sql,
  tenantId: string,
  ruleId?: string,
): Promise<Map<string, GroupStateView[]>> {
  const rule = ruleId ?? null;
  const rows = await sql<(GroupStateView & { rule_id: string })[]>`
    select rule_id, group_key as key, state,
           to_char(since at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as since, value, error,
           to_char(evaluated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as evaluated_at
    from alert_group_states
    where tenant_id = ${tenantId} and (${rule}::uuid is null or rule_id = ${rule}::uuid)
    order by rule_id, array_position(array['firing', 'pending', 'error', 'no_data', 'ok'], state), group_key`;
  const out = new Map<string, GroupStateView[]>();
  for (const { rule_id, ...g } of rows) (out.get(rule_id) ?? out.set(rule_id, []).get(rule_id)!).push(g);
  return out;
}

/** The API's reads of states and history, and the evaluation's transaction (the port of core/alert-evaluation.ts). */
export function createAlertStore(sql: Sql) {
  const transaction: AlertStateStore['transaction'] = <T>(work: (tx: AlertTransaction) => Promise<T>): Promise<T> => {
    const result = sql.begin(async (t) => {
      const tx = t as unknown as Sql;
      return work({
        lockState: (tenantId, ruleId, nowMs) => lockState(tx, tenantId, ruleId, nowMs),
        // A failed read (e.g. a data exception) rolls back to the savepoint; the transaction can still save the state.
        savepoint: <R>(reads: (windows: WindowReader) => Promise<R>) =>
          t.savepoint((sp) => reads(createAlertWindows(sp as unknown as Sql))) as unknown as Promise<R>,
        saveState: (tenantId, ruleId, state, nowMs, truncated) =>
          saveState(tx, tenantId, ruleId, state, nowMs, truncated ?? null),
        groupStates: (tenantId, ruleId) => groupStates(tx, tenantId, ruleId),
        saveGroups: (tenantId, ruleId, save, forget, nowMs) => saveGroups(tx, tenantId, ruleId, save, forget, nowMs),
        async insertHistory(h) {
          await insertHistory(tx, h);
          // The group's value is event data: it is not logged (the history holds it).
          const { tenantId, ruleId, from, to, notification, silenced } = h;
          logger.info('alert transition', {
            tenant_id: tenantId,
            rule_id: ruleId,
            from,
            to,
            notification,
            silenced,
            grouped: h.groupKey !== null,
          });
        },
        insertNotifications: (rows) => insertNotifications(tx, rows),
      });
    });
    return result as unknown as Promise<T>;
  };
  return { ...bindSql(sql, { currentStates, groupStatesOf, listHistory }), transaction };
}
export type AlertStore = ReturnType<typeof createAlertStore>;
