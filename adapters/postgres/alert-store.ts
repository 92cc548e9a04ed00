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
  return {
    state: r.state,
    sinceMs: r.since.getTime(),
    pendingSinceMs: ms(r.pending_since),
    clearSinceMs: ms(r.clear_since),
    lastFiredNotifiedAtMs: ms(r.last_fired_notified_at),
    value: r.value,
    error: r.error,
  };
}

export async function saveState(
  tx: Sql,
  tenantId: string,
  ruleId: string,
  s: AlertState,
  nowMs: number,
): Promise<void> {
  await tx`
    update alert_states set state = ${s.state}, since = ${new Date(s.sinceMs)}, pending_since = ${date(s.pendingSinceMs)},
           clear_since = ${date(s.clearSinceMs)}, last_fired_notified_at = ${date(s.lastFiredNotifiedAtMs)},
           value = ${s.value}, error = ${s.error}, evaluated_at = ${new Date(nowMs)}
    where tenant_id = ${tenantId} and rule_id = ${ruleId}`;
}

export async function insertHistory(tx: Sql, h: HistoryEntry): Promise<void> {
  await tx`
    insert into alert_history (tenant_id, id, rule_id, rule_name, from_state, to_state, value, threshold, window_ms, at, notification, silenced, error)
    values (${h.tenantId}, ${h.id}, ${h.ruleId}, ${h.ruleName}, ${h.from}, ${h.to}, ${h.value}, ${h.threshold}, ${h.windowMs},
            ${new Date(h.atMs)}, ${h.notification}, ${h.silenced}, ${h.error})`;
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
  q: { ruleId?: string; before?: string; limit: number },
): Promise<HistoryView[]> {
  const rule = q.ruleId ?? null;
  const before = q.before ?? null;
  return sql<HistoryView[]>`
    select h.id, h.rule_id, h.rule_name, h.from_state as "from", h.to_state as "to", h.value, h.threshold, h.window_ms::int as window_ms,
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
      and (${before}::uuid is null or h.seq < (select b.seq from alert_history b where b.tenant_id = ${tenantId} and b.id = ${before}::uuid))
    order by h.seq desc
    limit ${q.limit}`;
}

export async function currentStates(
  sql: Sql,
  tenantId: string,
): Promise<Map<string, { state: string; since: string; value: number | null }>> {
  const rows = await sql<{ rule_id: string; state: string; since: Date; value: number | null }[]>`
    select rule_id, state, since, value from alert_states where tenant_id = ${tenantId}`;
  return new Map(rows.map((r) => [r.rule_id, { state: r.state, since: r.since.toISOString(), value: r.value }]));
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
        saveState: (tenantId, ruleId, state, nowMs) => saveState(tx, tenantId, ruleId, state, nowMs),
        async insertHistory(h) {
          await insertHistory(tx, h);
          const { tenantId, ruleId, from, to, notification, silenced } = h;
          logger.info('alert transition', { tenant_id: tenantId, rule_id: ruleId, from, to, notification, silenced });
        },
        insertNotifications: (rows) => insertNotifications(tx, rows),
      });
    });
    return result as unknown as Promise<T>;
  };
  return { ...bindSql(sql, { currentStates, listHistory }), transaction };
}
export type AlertStore = ReturnType<typeof createAlertStore>;
