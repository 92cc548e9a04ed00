// /v1/alert-rules (CRUD and preview) and GET /v1/alerts (docs/api.md#alert-rules-and-alerts).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Principal } from '../../core/api-keys';
import { requireScope } from '../../core/api-keys';
import { badRequest, forbidden, notFound } from '../../core/errors';
import { ruleFromSpec, type StoredRuleSpec } from '../../core/alert-rule';
import { previewGroupedRule, previewRule } from '../../core/alert-evaluation';
import type { PreviewPoint, PreviewTransition } from '../../core/alert-preview';
import { groupObject, MAX_GROUP_KEY_LENGTH } from '../../core/alert-groups';
import type { GroupStateView } from '../../adapters/postgres/alert-store';
import type { Adapters } from '../../adapters';
import type { StoredRule } from '../../adapters/postgres/alert-rules-store';
import { parseBody } from '../http/body-schema';
import { alertRuleSchema, withSecrets, type AlertRuleSpec } from './alert-rule-schema';
import { isUuid } from '../../core/ids';
import { changeEntry, type AuditAction } from '../../core/audit-log';

type StateView = { state: string; since: string | null; value: number | null; groups_truncated?: number | null };

/**
 * A rule as the API shows it. A group_by rule's `status` is its summary (the worst state of its groups, with
 * `groups_truncated`: groups seen in its window that the cap left out) and `groups` lists each group's state.
 */
export function ruleView(
  r: StoredRule,
  state: StateView | undefined,
  generated: Map<number, string> = new Map(),
  groups: GroupStateView[] = [],
) {
  const { channels, ...spec } = r.spec;
  const { groups_truncated, ...status } = state ?? { state: 'ok', since: null, value: null };
  const grouped = r.rule.groupBy
    ? {
        groups: groups.map((g) => ({ group: groupObject(r.rule.groupBy!.path, g.key), ...g })),
      }
    : {};
  return {
    id: r.rule.id,
    ...spec,
    channels: channels.map((c, i) =>
      c.type === 'webhook'
        ? { type: c.type, url: c.url, has_secret: true, ...(generated.has(i) ? { secret: generated.get(i) } : {}) }
        : c,
    ),
    status: r.rule.groupBy ? { ...status, groups_truncated: groups_truncated ?? 0 } : status,
    ...grouped,
    created_at: r.createdAt.toISOString(),
    updated_at: r.updatedAt.toISOString(),
  };
}

/** A rule as the audit log keeps it: its spec with webhook secrets left out (never stored in the log). */
export function ruleAuditView(r: StoredRule): Record<string, unknown> {
  const { channels, ...spec } = r.spec;
  return {
    ...spec,
    channels: channels.map((c) => (c.type === 'webhook' ? { type: c.type, url: c.url, has_secret: true } : c)),
  };
}

const ruleAudit =
  (deps: Adapters, principal: Principal, action: AuditAction, id: string) =>
  (before: StoredRule | null, after: StoredRule | null) =>
    changeEntry(principal, deps.now(), action, id, ruleAuditView, before, after);

const visibleTo = (principal: Principal, r: StoredRule) =>
  !principal.projectId || r.rule.projectId === principal.projectId;

async function ruleOf(deps: Adapters, principal: Principal, id: string): Promise<StoredRule> {
  const r = isUuid(id) ? await deps.alertRules.getRule(principal.tenantId, id) : null;
  if (!r || !visibleTo(principal, r)) throw notFound(`Alert rule ${id} does not exist.`);
  return r;
}

/** The project a rule is about: the one named (which a project-bound key must own), else the key's, else all. */
async function projectFor(
  deps: Adapters,
  principal: Principal,
  slug: string | null | undefined,
): Promise<{ id: string; slug: string } | null> {
  if (principal.projectId && principal.projectSlug) {
    if (slug && slug !== principal.projectSlug)
      throw forbidden(`This key is bound to project "${principal.projectSlug}".`);
    return { id: principal.projectId, slug: principal.projectSlug };
  }
  if (!slug) return null;
  const p = await deps.projects.bySlug(principal.tenantId, slug);
  if (!p)
    throw badRequest(
      'invalid_body',
      `project: "${slug}" does not exist; create it first (POST /v1/projects) or leave project out to watch every project.`,
    );
  return p;
}

export async function getAlertRules(deps: Adapters, principal: Principal) {
  const [rules, states, groups] = await Promise.all([
    deps.alertRules.listRules(principal.tenantId),
    deps.alertStore.currentStates(principal.tenantId),
    deps.alertStore.groupStatesOf(principal.tenantId),
  ]);
  return {
    rules: rules
      .filter((r) => visibleTo(principal, r))
      .map((r) => ruleView(r, states.get(r.rule.id), undefined, groups.get(r.rule.id))),
  };
}

export async function getAlertRule(deps: Adapters, principal: Principal, id: string) {
  const r = await ruleOf(deps, principal, id);
  const { state, groups } = await statesOf(deps, principal.tenantId, id);
  return ruleView(r, state, undefined, groups);
}

/** One rule's state and, for a group_by rule, its groups' states. */
async function statesOf(deps: Adapters, tenantId: string, id: string) {
  const [states, groups] = await Promise.all([
    deps.alertStore.currentStates(tenantId),
    deps.alertStore.groupStatesOf(tenantId, id),
  ]);
  return { state: states.get(id), groups: groups.get(id) };
}

export async function postAlertRule(deps: Adapters, principal: Principal, body: unknown) {
  requireScope(principal, 'admin');
  const input = parseBody(alertRuleSchema, body);
  const project = await projectFor(deps, principal, input.project);
  const { spec, generated } = withSecrets({ ...input, project: project?.slug ?? null }, null);
  const id = randomUUID();
  const audit = ruleAudit(deps, principal, 'alert_rule.create', id);
  const r = await deps.alertRules.insertRule(principal.tenantId, id, project?.id ?? null, spec as StoredRuleSpec, (r) =>
    audit(null, r),
  );
  return ruleView(r, undefined, generated);
}

export async function putAlertRule(deps: Adapters, principal: Principal, id: string, body: unknown) {
  requireScope(principal, 'admin');
  const existing = await ruleOf(deps, principal, id);
  const input = parseBody(alertRuleSchema, body);
  const project = await projectFor(deps, principal, input.project);
  const { spec, generated } = withSecrets({ ...input, project: project?.slug ?? null }, existing.spec as AlertRuleSpec);
  const r = await deps.alertRules.updateRule(
    principal.tenantId,
    id,
    project?.id ?? null,
    spec as StoredRuleSpec,
    (before, after) => (after ? ruleAudit(deps, principal, 'alert_rule.update', id)(before, after) : undefined),
  );
  if (!r) throw notFound(`Alert rule ${id} does not exist.`);
  const { state, groups } = await statesOf(deps, principal.tenantId, id);
  return ruleView(r, state, generated, groups);
}

export async function deleteAlertRule(deps: Adapters, principal: Principal, id: string) {
  requireScope(principal, 'admin');
  await ruleOf(deps, principal, id);
  await deps.alertRules.deleteRule(principal.tenantId, id, (before, deleted) =>
    deleted ? ruleAudit(deps, principal, 'alert_rule.delete', id)(before, null) : undefined,
  );
  return { id, deleted: true };
}

export async function getAlerts(deps: Adapters, principal: Principal, params: URLSearchParams) {
  const ruleId = params.get('rule_id') ?? undefined;
  if (ruleId !== undefined) await ruleOf(deps, principal, ruleId);
  const group = params.get('group') ?? undefined;
  if (group !== undefined && (group.length === 0 || group.length > MAX_GROUP_KEY_LENGTH))
    throw badRequest(
      'invalid_parameter',
      `group must be the value of a group_by rule's group (1 to ${MAX_GROUP_KEY_LENGTH} characters), e.g. group=DE.`,
    );
  const before = params.get('before') ?? undefined;
  if (before !== undefined && !isUuid(before))
    throw badRequest('invalid_parameter', 'before must be the id of an alert from a previous page (next_before).');
  const limitRaw = params.get('limit') ?? '50';
  const limit = Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    throw badRequest('invalid_parameter', 'limit must be an integer from 1 to 200.');
  let alerts = await deps.alertStore.listHistory(principal.tenantId, { ruleId, group, before, limit });
  if (principal.projectId) {
    const own = new Set(
      (await deps.alertRules.listRules(principal.tenantId))
        .filter((r) => visibleTo(principal, r))
        .map((r) => r.rule.id),
    );
    alerts = alerts.filter((a) => own.has(a.rule_id));
  }
  return { alerts, next_before: alerts.length === limit ? alerts[alerts.length - 1]!.id : null };
}

const PREVIEW_CLOCK_SLACK_MS = 60_000;

const previewSchema = z.strictObject({
  rule: z.record(z.string(), z.unknown()),
  from: z.string(),
  to: z.string().optional(),
  /** group_by rules: replay only this group (its value). */
  group: z.string().min(1).max(MAX_GROUP_KEY_LENGTH).optional(),
});

/**
 * POST /v1/alert-rules/preview: the rule replayed over [from, to] from stored data, with the same values and state
 * machine as the live engine (previewRule in core/alert-evaluation.ts). Points are 10 s apart (or wider for long ranges); a transition
 * is reported at the instant the live engine would have made it (the event that crossed the threshold). Nothing
 * after now is simulated: `to` is capped at now.
 */
export async function previewAlertRule(deps: Adapters, principal: Principal, body: unknown) {
  const input = parseBody(previewSchema, body);
  const ruleInput = parseBody(alertRuleSchema, { name: 'preview', ...input.rule });
  const nowMs = deps.now();
  const fromMs = Date.parse(input.from);
  const askedToMs = input.to === undefined ? nowMs : Date.parse(input.to);
  if (Number.isNaN(fromMs) || Number.isNaN(askedToMs))
    throw badRequest('invalid_body', 'from and to must be ISO-8601 times, e.g. 2026-11-27T10:00:00Z.');
  if (fromMs >= nowMs)
    throw badRequest(
      'invalid_body',
      `from must be in the past (now is ${new Date(nowMs).toISOString()}): the preview replays stored data.`,
    );
  const toMs = Math.min(askedToMs, nowMs);
  if (fromMs >= toMs) throw badRequest('invalid_body', 'from must be earlier than to.');
  // A client's "last 24 h" (its clock, sent before this request arrived) starts a moment before our now − 24 h:
  // tolerate that much rather than refuse an exact 24 h range.
  const oldest = nowMs - 24 * 3_600_000 - PREVIEW_CLOCK_SLACK_MS;
  if (fromMs < oldest)
    throw badRequest(
      'invalid_body',
      `Rules read the 10s data, kept 24 h: from must be after ${new Date(oldest).toISOString()}.`,
    );
  const project = await projectFor(deps, principal, ruleInput.project);
  const rule = ruleFromSpec({ tenantId: principal.tenantId, id: 'preview', projectId: project?.id ?? null }, {
    ...ruleInput,
    project: project?.slug ?? null,
    channels: [],
  } as StoredRuleSpec);
  if (input.group !== undefined && !rule.groupBy)
    throw badRequest('invalid_body', 'group belongs to rules with group_by: add rule.group_by or leave group out.');
  const head = (stepMs: number) => ({
    threshold: rule.threshold,
    op: rule.op,
    from: iso(fromMs),
    to: iso(toMs),
    step: `${stepMs / 1000}s`,
  });
  if (rule.groupBy) {
    const grouped = await previewGroupedRule(deps, rule, fromMs, toMs, input.group);
    const groups = grouped.groups.map((g) => ({
      group: groupObject(rule.groupBy!.path, g.key),
      ...replayView(g.series, g.transitions),
    }));
    return {
      ...head(grouped.stepMs),
      group_by: rule.groupBy.path,
      // Every group's firings and transitions in time order (each transition names its group).
      fired: groups.flatMap((g) => g.fired).sort(),
      transitions: groups
        .flatMap((g) => g.transitions.map((t) => ({ ...t, group: g.group })))
        .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)),
      // The series are per group (groups[].series); the top-level one stays, empty, so the shape is one for every rule.
      series: [] as { t: string; value: number | null; state: string }[],
      groups,
      groups_truncated: grouped.truncated,
    };
  }
  const { stepMs, series, transitions } = await previewRule(deps, rule, fromMs, toMs);
  return { ...head(stepMs), ...replayView(series, transitions) };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A replay's firings, transitions and series as the preview shows them (per group for group_by rules). */
function replayView(series: PreviewPoint[], transitions: PreviewTransition[]) {
  return {
    fired: transitions.filter((t) => t.to === 'firing').map((t) => iso(t.atMs)),
    transitions: transitions.map(({ atMs, from, to, value, notification, silenced }) => ({
      at: iso(atMs),
      from,
      to,
      value,
      notification,
      silenced,
    })),
    series: series.map((p) => ({ t: iso(p.t), value: p.value, state: p.state })),
  };
}
