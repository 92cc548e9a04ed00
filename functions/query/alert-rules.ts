// /v1/alert-rules (CRUD and preview) and GET /v1/alerts (API.md "Alert rules and alerts").
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Principal } from '../../core/api-keys';
import { requireScope } from '../../core/api-keys';
import { badRequest, forbidden, notFound } from '../../core/errors';
import { ruleFromSpec, ruleTiming, type StoredRuleSpec } from '../../core/alert-rule';
import { nextState, INITIAL_STATE, type AlertState } from '../../core/alert-state';
import { INTERVAL_MS } from '../../core/intervals';
import type { Adapters } from '../../adapters';
import { deleteRule, getRule, insertRule, listRules, updateRule, type StoredRule } from '../../adapters/postgres/alert-rules-store';
import { currentStates, listHistory } from '../../adapters/postgres/alert-store';
import { ruleValue } from '../alert/evaluate';
import { parseBody } from '../http/body-schema';
import { alertRuleSchema, withSecrets, type AlertRuleSpec } from './alert-rule-schema';
import { isUuid } from '../../core/ids';

type StateView = { state: string; since: string | null; value: number | null };

export function ruleView(r: StoredRule, state: StateView | undefined, generated: Map<number, string> = new Map()) {
  const { channels, ...spec } = r.spec;
  return {
    id: r.rule.id,
    ...spec,
    channels: channels.map((c, i) =>
      c.type === 'webhook' ? { type: c.type, url: c.url, has_secret: true, ...(generated.has(i) ? { secret: generated.get(i) } : {}) } : c,
    ),
    status: state ?? { state: 'ok', since: null, value: null },
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

const visibleTo = (principal: Principal, r: StoredRule) => !principal.projectId || r.rule.projectId === principal.projectId;

async function ruleOf(deps: Adapters, principal: Principal, id: string): Promise<StoredRule> {
  const r = isUuid(id) ? await getRule(deps.sql, principal.tenantId, id) : null;
  if (!r || !visibleTo(principal, r)) throw notFound(`Alert rule ${id} does not exist.`);
  return r;
}

/** The project a rule is about: the one named (which a project-bound key must own), else the key's, else all. */
async function projectFor(deps: Adapters, principal: Principal, slug: string | null | undefined): Promise<{ id: string; slug: string } | null> {
  if (principal.projectId && principal.projectSlug) {
    if (slug && slug !== principal.projectSlug) throw forbidden(`This key is bound to project "${principal.projectSlug}".`);
    return { id: principal.projectId, slug: principal.projectSlug };
  }
  if (!slug) return null;
  const p = await deps.projects.bySlug(principal.tenantId, slug);
  if (!p) throw badRequest('invalid_body', `project: "${slug}" does not exist; create it first (POST /v1/projects) or leave project out to watch every project.`);
  return p;
}

export async function getAlertRules(deps: Adapters, principal: Principal) {
  const [rules, states] = await Promise.all([listRules(deps.sql, principal.tenantId), currentStates(deps.sql, principal.tenantId)]);
  return { rules: rules.filter((r) => visibleTo(principal, r)).map((r) => ruleView(r, states.get(r.rule.id))) };
}

export async function getAlertRule(deps: Adapters, principal: Principal, id: string) {
  const r = await ruleOf(deps, principal, id);
  return ruleView(r, (await currentStates(deps.sql, principal.tenantId)).get(id));
}

export async function postAlertRule(deps: Adapters, principal: Principal, body: unknown) {
  requireScope(principal, 'admin');
  const input = parseBody(alertRuleSchema, body);
  const project = await projectFor(deps, principal, input.project);
  const { spec, generated } = withSecrets({ ...input, project: project?.slug ?? null }, null);
  const r = await insertRule(deps.sql, principal.tenantId, randomUUID(), project?.id ?? null, spec as StoredRuleSpec);
  return ruleView(r, undefined, generated);
}

export async function putAlertRule(deps: Adapters, principal: Principal, id: string, body: unknown) {
  requireScope(principal, 'admin');
  const existing = await ruleOf(deps, principal, id);
  const input = parseBody(alertRuleSchema, body);
  const project = await projectFor(deps, principal, input.project);
  const { spec, generated } = withSecrets({ ...input, project: project?.slug ?? null }, existing.spec as AlertRuleSpec);
  const r = await updateRule(deps.sql, principal.tenantId, id, project?.id ?? null, spec as StoredRuleSpec);
  if (!r) throw notFound(`Alert rule ${id} does not exist.`);
  return ruleView(r, (await currentStates(deps.sql, principal.tenantId)).get(id), generated);
}

export async function deleteAlertRule(deps: Adapters, principal: Principal, id: string) {
  requireScope(principal, 'admin');
  await ruleOf(deps, principal, id);
  await deleteRule(deps.sql, principal.tenantId, id);
  return { id, deleted: true };
}

export async function getAlerts(deps: Adapters, principal: Principal, params: URLSearchParams) {
  const ruleId = params.get('rule_id') ?? undefined;
  if (ruleId !== undefined) await ruleOf(deps, principal, ruleId);
  const before = params.get('before') ?? undefined;
  if (before !== undefined && !isUuid(before)) throw badRequest('invalid_parameter', 'before must be the id of an alert from a previous page (next_before).');
  const limitRaw = params.get('limit') ?? '50';
  const limit = Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw badRequest('invalid_parameter', 'limit must be an integer from 1 to 200.');
  let alerts = await listHistory(deps.sql, principal.tenantId, { ruleId, before, limit });
  if (principal.projectId) {
    const own = new Set((await listRules(deps.sql, principal.tenantId)).filter((r) => visibleTo(principal, r)).map((r) => r.rule.id));
    alerts = alerts.filter((a) => own.has(a.rule_id));
  }
  return { alerts, next_before: alerts.length === limit ? alerts[alerts.length - 1]!.id : null };
}

const previewSchema = z.strictObject({
  rule: z.record(z.string(), z.unknown()),
  from: z.string(),
  to: z.string().optional(),
});

const MAX_PREVIEW_STEPS = 360;

/**
 * POST /v1/alert-rules/preview: the rule evaluated over [from, to) from stored data, with the same code and state
 * machine as the live engine, at evenly spaced instants (10 s apart, or wider for long ranges).
 */
export async function previewAlertRule(deps: Adapters, principal: Principal, body: unknown) {
  const input = parseBody(previewSchema, body);
  const ruleInput = parseBody(alertRuleSchema, { name: 'preview', ...input.rule });
  const fromMs = Date.parse(input.from);
  const toMs = input.to === undefined ? deps.now() : Date.parse(input.to);
  if (Number.isNaN(fromMs) || Number.isNaN(toMs)) throw badRequest('invalid_body', 'from and to must be ISO-8601 times, e.g. 2026-11-27T10:00:00Z.');
  if (fromMs >= toMs) throw badRequest('invalid_body', 'from must be earlier than to.');
  const oldest = deps.now() - 24 * 3_600_000;
  if (fromMs < oldest) throw badRequest('invalid_body', `Rules read the 10s data, kept 24 h: from must be after ${new Date(oldest).toISOString()}.`);
  const project = await projectFor(deps, principal, ruleInput.project);
  const rule = ruleFromSpec({ tenantId: principal.tenantId, id: 'preview', projectId: project?.id ?? null }, { ...ruleInput, project: project?.slug ?? null, channels: [] } as StoredRuleSpec);
  const step10 = INTERVAL_MS['10s'];
  const stepMs = Math.max(step10, Math.ceil((toMs - fromMs) / MAX_PREVIEW_STEPS / step10) * step10);
  const timing = ruleTiming(rule, deps.config.alerts.allowedLatenessMs);
  let state: AlertState = { ...INITIAL_STATE, sinceMs: fromMs };
  const series: { t: string; value: number | null; state: string }[] = [];
  const transitions: { at: string; from: string; to: string; value: number | null; notification: string | null; silenced: boolean }[] = [];
  for (let t = fromMs; t < toMs; t += stepMs) {
    const value = await ruleValue(deps.sql, deps, rule, t);
    const next = nextState(state, { value }, timing, t);
    state = next.state;
    series.push({ t: new Date(t).toISOString(), value, state: state.state });
    if (next.transition) transitions.push({ at: new Date(t).toISOString(), ...next.transition, value });
  }
  return {
    threshold: rule.threshold,
    op: rule.op,
    step: `${stepMs / 1000}s`,
    fired: transitions.filter((t) => t.to === 'firing').map((t) => t.at),
    transitions,
    series,
  };
}
