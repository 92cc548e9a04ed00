// The alert rule form's state and its translation to and from the API body (threshold rules and ratios).
import type { AlertOp, AlertPreviewBody, AlertRuleBody, AlertRuleChannelBody, AlertRuleView } from '../api/types';
import { formatFilterText, parseDuration, parseFilterText } from '../lib/duration';

export interface RuleDraft {
  name: string;
  project: string;
  metric: string;
  eventType: string;
  numerator: string;
  denominator: string;
  filterText: string;
  /** Property path: one state per value of it (per-segment alerts), '' for one state for the rule. */
  groupBy: string;
  op: AlertOp;
  threshold: string;
  window: string;
  forDuration: string;
  cooldown: string;
  enabled: boolean;
  /** One URL per line. */
  webhooks: string;
  /** Comma-separated addresses. */
  emails: string;
}

export const EMPTY_DRAFT: RuleDraft = {
  name: '',
  project: '',
  metric: 'count',
  eventType: '',
  numerator: '',
  denominator: '',
  filterText: '',
  groupBy: '',
  op: '>',
  threshold: '10',
  window: '5m',
  forDuration: '0s',
  cooldown: '15m',
  enabled: true,
  webhooks: '',
  emails: '',
};

export function draftFromRule(rule: AlertRuleView): RuleDraft {
  return {
    name: rule.name,
    project: rule.project ?? '',
    metric: rule.metric,
    eventType: rule.event_type ?? '',
    numerator: rule.numerator ?? '',
    denominator: rule.denominator ?? '',
    filterText: formatFilterText(rule.filter),
    groupBy: (rule as { group_by?: string | null }).group_by ?? '',
    op: rule.condition?.op ?? '>',
    threshold: rule.condition ? String(rule.condition.threshold) : '',
    window: rule.window,
    forDuration: rule.for,
    cooldown: rule.cooldown,
    enabled: rule.enabled,
    webhooks: rule.channels.flatMap((c) => (c.type === 'webhook' ? [c.url] : [])).join('\n'),
    emails: rule.channels.flatMap((c) => (c.type === 'email' ? c.to : [])).join(', '),
  };
}

/** A rule body; `group_by` (per-segment alerts, docs/api.md#per-segment-rules-group_by) is in the schema's type. */
export type RuleBody = AlertRuleBody;

/** The API body; webhooks are sent without secrets (the server keeps the existing one per URL, or generates one). */
export function inputFromDraft(draft: RuleDraft): RuleBody {
  const channels: AlertRuleChannelBody[] = draft.webhooks
    .split(/\s+/)
    .filter((url) => url !== '')
    .map((url) => ({ type: 'webhook', url }));
  const to = draft.emails
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (to.length > 0) channels.push({ type: 'email', to });
  const filter = parseFilterText(draft.filterText);
  const input: RuleBody = {
    name: draft.name.trim(),
    project: draft.project.trim() === '' ? null : draft.project.trim(),
    metric: draft.metric.trim() || 'count',
    condition: { op: draft.op, threshold: Number(draft.threshold) },
    window: draft.window.trim(),
    for: draft.forDuration.trim() || '0s',
    cooldown: draft.cooldown.trim() || '0s',
    enabled: draft.enabled,
    channels,
  };
  if (input.metric === 'ratio') {
    input.numerator = draft.numerator.trim();
    input.denominator = draft.denominator.trim();
  } else input.event_type = draft.eventType.trim();
  if (Object.keys(filter).length > 0) input.filter = filter;
  // Sent only when set: a rule without it is one rule, as before.
  if (draft.groupBy.trim() !== '') input.group_by = draft.groupBy.trim();
  return input;
}

/** What keeps the draft from being previewed or saved, or null. */
export function draftProblem(draft: RuleDraft): string | null {
  if (
    draft.metric === 'ratio'
      ? draft.numerator.trim() === '' || draft.denominator.trim() === ''
      : draft.eventType.trim() === ''
  ) {
    return draft.metric === 'ratio' ? 'Choose the numerator and denominator event types.' : 'Choose an event type.';
  }
  if (draft.threshold.trim() === '' || !Number.isFinite(Number(draft.threshold)))
    return 'The threshold must be a number.';
  const windowMs = parseDuration(draft.window);
  if (windowMs === undefined || windowMs % 10_000 !== 0)
    return 'The window must be a duration in steps of 10s, e.g. 30s, 5m or 1h.';
  if (parseDuration(draft.forDuration) === undefined && draft.forDuration.trim() !== '0s')
    return '“For” must be a duration such as 0s or 2m.';
  if (parseDuration(draft.cooldown) === undefined && draft.cooldown.trim() !== '0s')
    return 'The cooldown must be a duration such as 0s or 15m.';
  return null;
}

/** The preview's ranges; "24 h" is exactly 86 400 000 ms. */
export const PREVIEW_RANGES = ['15m', '1h', '6h', '24h'] as const;
export type PreviewRange = (typeof PREVIEW_RANGES)[number];

/**
 * Body of POST /v1/alert-rules/preview for the last `rangeMs` before `nowMs`: the rule without its channels and
 * enabled flag (a preview notifies no one), and without an empty name (the server names it "preview"; an empty one
 * would be refused, and a rule is previewed before it is named). `to` is sent so the range is exactly `rangeMs`.
 */
export function previewBody(input: RuleBody, rangeMs: number, nowMs: number): AlertPreviewBody {
  const { channels: _channels, enabled: _enabled, name, ...rule } = input;
  return {
    rule: name.trim() === '' ? rule : { ...rule, name },
    from: new Date(nowMs - rangeMs).toISOString(),
    to: new Date(nowMs).toISOString(),
  };
}

/** What the state pill says: a rule the engine has not evaluated yet has no state, not "ok". */
export function stateLabel(rule: Pick<AlertRuleView, 'enabled' | 'status'>): { label: string; className: string } {
  if (!rule.enabled) return { label: 'disabled', className: 'disabled' };
  // Every stored state has a `since`; the API's placeholder for a rule without one has none.
  if (rule.status.since === null) return { label: 'not evaluated yet', className: 'unevaluated' };
  return { label: rule.status.state, className: rule.status.state };
}

/** One group of a `group_by` rule as the card lists it (docs/api.md#per-segment-rules-group_by). */
export interface RuleGroupRow {
  key: string;
  /** "plan = pro" */
  label: string;
  state: string;
  since: string | null;
  value: number | null;
  error: string | null;
}

/**
 * The groups of a `group_by` rule in the API's order (firing first), and how many groups the cap of 100 left out
 * (`status.groups_truncated`); null for a rule without `group_by`.
 */
export function ruleGroups(rule: AlertRuleView): { rows: RuleGroupRow[]; truncated: number } | null {
  const view = rule as AlertRuleView & {
    group_by?: string | null;
    groups?: readonly {
      key: string;
      state: string;
      since?: string | null;
      value?: number | null;
      error?: string | null;
    }[];
    status: { groups_truncated?: number | null };
  };
  if (view.group_by === undefined || view.group_by === null || view.group_by === '') return null;
  const path = view.group_by;
  return {
    rows: (view.groups ?? []).map((g) => ({
      key: g.key,
      label: `${path} = ${g.key}`,
      state: g.state,
      since: g.since ?? null,
      value: g.value ?? null,
      error: g.error ?? null,
    })),
    truncated: view.status.groups_truncated ?? 0,
  };
}
