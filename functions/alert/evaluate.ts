// Evaluation of alert rules (docs/architecture.md#rule-8-alerts-read-the-truth-once-it-is-written): the window's value read from the stored truth, the state machine
// of core/alert-state.ts, and — in one transaction with the new state — the history entry and one outbox row per
// channel for a transition that notifies.
import type { Adapters } from '../../adapters';
import type { Sql } from '../../adapters/postgres/client';
import { windowValues } from '../../adapters/postgres/alert-windows';
import { insertHistory, insertNotifications, lockState, saveState, type NewNotification } from '../../adapters/postgres/alert-store';
import { ruleTiming, windowRange, type AlertRule } from '../../core/alert-rule';
import { nextState, type Outcome } from '../../core/alert-state';
import { anomalyScore } from '../../core/anomaly';
import { notificationPayload } from '../../core/alert-message';
import { uuidv7 } from '../../core/ids';
import { logger } from '../../adapters/logger';
import { classifyFailure } from '../../core/failure-kind';
import { parseMetric } from '../../core/metric-query';

export type EvaluateDeps = Pick<Adapters, 'config' | 'sql' | 'projects' | 'now'>;

/** The projects a rule reads. */
export async function ruleProjectIds(deps: Pick<EvaluateDeps, 'projects'>, rule: AlertRule): Promise<string[]> {
  return rule.projectId ? [rule.projectId] : (await deps.projects.projects(rule.tenantId)).map((p) => p.id);
}

/**
 * The value the rule compares at `nowMs` (for anomaly rules: the anomaly score), read through `sql`. With `untilMs`,
 * only the events stamped at or before it count (the preview's instants inside a bucket).
 */
export async function ruleValue(sql: Sql, deps: Pick<EvaluateDeps, 'projects'>, rule: AlertRule, nowMs: number, untilMs?: number): Promise<number | null> {
  const projectIds = await ruleProjectIds(deps, rule);
  const { toMs } = windowRange(nowMs, rule.windowMs);
  const base = {
    tenantId: rule.tenantId,
    projectIds,
    props: Object.entries(rule.filter).map(([k, v]) => [k.split('.'), String(v)] as [string[], string]),
    toMs,
    windowMs: rule.windowMs,
    ...(untilMs === undefined ? {} : { untilMs }),
  };
  if (rule.metric === 'ratio') {
    const [num] = await windowValues(sql, { ...base, eventType: rule.numerator!, kind: 'count', path: null, windows: 1 });
    const [den] = await windowValues(sql, { ...base, eventType: rule.denominator!, kind: 'count', path: null, windows: 1 });
    return !den ? null : num! / den;
  }
  if (rule.anomaly) {
    const values = await windowValues(sql, { ...base, eventType: rule.eventType, ...parseMetric(rule.anomaly.of), windows: 1 + rule.anomaly.baselineWindows });
    return anomalyScore(values[0]!, values.slice(1), rule.anomaly).score;
  }
  const [value] = await windowValues(sql, { ...base, eventType: rule.eventType, ...parseMetric(rule.metric), windows: 1 });
  return value!;
}


/** Evaluates one rule at `nowMs`; returns the ids of the notifications it created (after the commit). */
export async function evaluateRule(deps: EvaluateDeps, rule: AlertRule, nowMs: number): Promise<string[]> {
  return deps.sql.begin(async (t) => {
    const tx = t as unknown as Sql;
    const prev = await lockState(tx, rule.tenantId, rule.id, nowMs);
    let outcome: Outcome;
    try {
      outcome = { value: await t.savepoint((sp) => ruleValue(sp as unknown as Sql, deps, rule, nowMs)) };
    } catch (e) {
      // A value the rule's own query cannot handle puts the rule in `error`; infrastructure and defects throw.
      if (classifyFailure(e) !== 'data') throw e;
      outcome = { error: (e as Error).message };
    }
    const { state, transition } = nextState(prev, outcome, ruleTiming(rule, deps.config.alerts.allowedLatenessMs), nowMs);
    await saveState(tx, rule.tenantId, rule.id, state, nowMs);
    if (!transition) return [];
    const historyId = uuidv7(nowMs);
    await insertHistory(tx, {
      tenantId: rule.tenantId,
      id: historyId,
      ruleId: rule.id,
      ruleName: rule.name,
      from: transition.from,
      to: transition.to,
      value: state.value,
      threshold: rule.threshold,
      windowMs: rule.windowMs,
      atMs: nowMs,
      notification: transition.notification,
      silenced: transition.silenced,
      error: state.error,
    });
    logger.info('alert transition', { tenant_id: rule.tenantId, rule_id: rule.id, from: transition.from, to: transition.to, notification: transition.notification, silenced: transition.silenced });
    if (!transition.notification) return [];
    const rows: NewNotification[] = rule.channels.map((channel) => {
      const id = uuidv7(nowMs);
      return { tenantId: rule.tenantId, id, ruleId: rule.id, historyId, channel, payload: { ...notificationPayload(rule, id, transition.to, state.value, nowMs) }, dueMs: nowMs };
    });
    await insertNotifications(tx, rows);
    return rows.map((r) => r.id);
  });
}

/** Evaluates rules a few at a time; returns every notification created. */
export async function evaluateRules(deps: EvaluateDeps, rules: AlertRule[], nowMs: number, concurrency = 4): Promise<string[]> {
  const created: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < rules.length) {
      const rule = rules[next++]!;
      created.push(...(await evaluateRule(deps, rule, nowMs)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, rules.length) }, worker));
  return created;
}
