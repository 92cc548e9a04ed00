// Alert rules as the engine sees them (docs/api.md#alert-rules-and-alerts; docs/architecture.md#rule-8-alerts-read-the-truth-once-it-is-written). Pure.
import { INTERVAL_MS, parseDuration } from './intervals';

export const ALERT_OPS = ['>', '>=', '<', '<=', '=='] as const;
export type AlertOp = (typeof ALERT_OPS)[number];

export type WebhookChannel = { type: 'webhook'; url: string; secret: string };
export type EmailChannel = { type: 'email'; to: string[] };
export type Channel = WebhookChannel | EmailChannel;

/** How an anomaly rule learns its band: the same window over the `baselineWindows` windows before it. */
export interface AnomalySpec {
  /** The metric whose window value is watched: count, unique_users, sum:<path>, avg:<path> or p50:/p90:/p95:/p99:<path>. */
  of: string;
  /** Fires when |value - mean| > sensitivity * max(stddev, sqrt(mean), 1) (a z-score with a Poisson floor). */
  sensitivity: number;
  direction: 'above' | 'below' | 'both';
  baselineWindows: number;
}

export interface AlertRule {
  tenantId: string;
  id: string;
  name: string;
  /** null: every project of the tenant. */
  projectId: string | null;
  projectSlug: string | null;
  /** The watched event type; for ratio rules the numerator's. */
  eventType: string;
  /** count | unique_users | sum:<path> | avg:<path> | ratio | anomaly */
  metric: string;
  numerator: string | null;
  denominator: string | null;
  /** Property equality filters: dotted path -> value, matched by the same code as prop.<path> of GET /v1/metrics (adapters/postgres/property-filter.ts). */
  filter: Record<string, string | number | boolean>;
  op: AlertOp;
  threshold: number;
  windowMs: number;
  forMs: number;
  cooldownMs: number;
  enabled: boolean;
  channels: Channel[];
  anomaly: AnomalySpec | null;
  /**
   * `group_by` (a multi-alert): the property path as written ("country", "geo.country") and split into names; one
   * state machine per value of it (core/alert-groups.ts). null: one state for the rule.
   */
  groupBy: { path: string; names: string[] } | null;
}

export const MIN_WINDOW_MS = INTERVAL_MS['10s'];
/** 10s rollups are kept 24 h: a window reads them, so it cannot be longer. */
export const MAX_WINDOW_MS = 24 * 3_600_000;

/** What the state machine (core/alert-state.ts) needs of a rule. */
export function ruleTiming(r: Pick<AlertRule, 'op' | 'threshold' | 'forMs' | 'cooldownMs'>, allowedLatenessMs: number) {
  return { op: r.op, threshold: r.threshold, forMs: r.forMs, cooldownMs: r.cooldownMs, allowedLatenessMs };
}

export function compare(value: number, op: AlertOp, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
  }
}

/** Event types whose metric_updates notices concern the rule. */
export function watchedEventTypes(r: Pick<AlertRule, 'metric' | 'eventType' | 'numerator' | 'denominator'>): string[] {
  if (r.metric === 'ratio') return [...new Set([r.numerator!, r.denominator!])].sort();
  return [r.eventType];
}

/**
 * Whether the scheduled tick must evaluate a rule that is `ok`: when its condition can become true without any
 * new event (absence-like conditions: the value only falls as events leave the window), and anomaly rules (their
 * band moves with time). Rules in any other state are always ticked (for periods, resolves, no_data).
 */
export function ticksWhenOk(r: Pick<AlertRule, 'metric' | 'op' | 'threshold' | 'anomaly'>): boolean {
  if (r.metric === 'anomaly') return true;
  if (r.op === '<' || r.op === '<=') return true;
  if (r.op === '==' && r.threshold <= 0) return true;
  // avg and percentiles move both ways as events leave the window.
  return r.metric === 'ratio' || /^(avg|p50|p90|p95|p99):/.test(r.metric);
}

/**
 * The window's buckets at `nowMs`: the 10s buckets [end - window, end) where `end` is the end of the current
 * (partial) 10s bucket, so the data processed so far counts at once.
 */
export function windowRange(nowMs: number, windowMs: number): { fromMs: number; toMs: number } {
  const step = INTERVAL_MS['10s'];
  const toMs = Math.floor(nowMs / step) * step + step;
  return { fromMs: toMs - windowMs, toMs };
}

// Lives in ./intervals (no imports, so the dashboard SPA shares it); re-exported for the alert code.
export { formatDuration } from './intervals';

/** A rule as stored (the API body with defaults applied and webhook secrets filled in). */
export interface StoredRuleSpec {
  name: string;
  project?: string | null;
  event_type?: string;
  metric: string;
  numerator?: string;
  denominator?: string;
  filter?: Record<string, string | number | boolean>;
  condition?: { op: AlertOp; threshold: number };
  window: string;
  for: string;
  cooldown: string;
  enabled: boolean;
  channels: Channel[];
  anomaly?: { of: string; sensitivity: number; direction: 'above' | 'below' | 'both'; baseline_windows: number };
  group_by?: string;
}

const ms = (d: string): number => {
  const v = parseDuration(d);
  if (v === undefined) throw new Error(`bad stored duration ${d}`);
  return v;
};

export function ruleFromSpec(
  ids: { tenantId: string; id: string; projectId: string | null },
  spec: StoredRuleSpec,
): AlertRule {
  const anomaly =
    spec.metric === 'anomaly' && spec.anomaly
      ? {
          of: spec.anomaly.of,
          sensitivity: spec.anomaly.sensitivity,
          direction: spec.anomaly.direction,
          baselineWindows: spec.anomaly.baseline_windows,
        }
      : null;
  return {
    tenantId: ids.tenantId,
    id: ids.id,
    name: spec.name,
    projectId: ids.projectId,
    projectSlug: spec.project ?? null,
    eventType: spec.metric === 'ratio' ? (spec.event_type ?? spec.numerator!) : spec.event_type!,
    metric: spec.metric,
    numerator: spec.numerator ?? null,
    denominator: spec.denominator ?? null,
    filter: spec.filter ?? {},
    op: anomaly ? '>' : spec.condition!.op,
    threshold: anomaly ? anomaly.sensitivity : spec.condition!.threshold,
    windowMs: ms(spec.window),
    forMs: ms(spec.for),
    cooldownMs: ms(spec.cooldown),
    enabled: spec.enabled,
    channels: spec.channels,
    anomaly,
    groupBy: spec.group_by ? { path: spec.group_by, names: spec.group_by.split('.') } : null,
  };
}
