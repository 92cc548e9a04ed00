// Evaluation of alert rules (docs/architecture.md#rule-8-alerts-read-the-truth-once-it-is-written): which windows a rule
// reads and the value it compares, the state machine of core/alert-state.ts, and — in one transaction with the new
// state — the history entry and one outbox row per channel for a transition that notifies. The live engine (the alert
// function) and the preview (POST /v1/alert-rules/preview) both evaluate through this module. The reads and the
// transaction are ports, implemented in adapters/postgres (alert-windows.ts, alert-store.ts).
import { ruleTiming, windowRange, type AlertRule, type Channel } from './alert-rule';
import { nextState, type AlertState, type AlertStateName, type Outcome, type Transition } from './alert-state';
import { replayRule, type PreviewPoint, type PreviewTransition } from './alert-preview';
import { anomalyScore } from './anomaly';
import { notificationPayload } from './alert-message';
import { classifyFailure } from './failure-kind';
import { uuidv7 } from './ids';
import { INTERVAL_MS } from './intervals';
import { emptyValue, parseMetric, type MetricSelection } from './metric-query';
import { evaluateGroups, GROUP_READ_LIMIT, groupObject, type GroupValues } from './alert-groups';

/** Consecutive windows of one metric, newest first, read from the stored truth. */
export interface WindowQuery extends MetricSelection {
  /** End of the newest window (10s-aligned) and the window length. */
  toMs: number;
  windowMs: number;
  /** How many consecutive windows, newest first. */
  windows: number;
  /**
   * Only data with timestamps at or before this instant (read from the raw events): what the engine had seen at an
   * instant inside the newest bucket (the preview's crossings). Unset: every stored event of the buckets.
   */
  untilMs?: number;
}

/** One window of a metric per value of a property (group_by rules), read from the raw events. */
export interface GroupQuery extends WindowQuery {
  /** The property path grouped by; events without it (or whose text is empty or longer than MAX_GROUP_KEY_LENGTH) are left out. */
  groupBy: string[];
  /** Groups read whatever their rank (the ones that have a state). */
  keys: string[];
  /** Only this group (the preview of one group). */
  only?: string;
  /** Besides `keys`, the groups with the most events in the window, at most this many. */
  limit: number;
}

/** The port for a rule's reads. */
export interface WindowReader {
  /** The value of each window, newest first (index 0 ends at toMs); null where the metric is undefined (avg of nothing). */
  windowValues(q: WindowQuery): Promise<(number | null)[]>;
  /** The newest window's value per group with events in it (q.windows is 1). */
  groupValues(q: GroupQuery): Promise<GroupValues>;
}

/** When events of `eventTypes` arrived (their timestamps) in (afterMs, untilMs], at most `limit` of them. */
export interface ArrivalQuery {
  tenantId: string;
  projectIds: string[];
  eventTypes: string[];
  afterMs: number;
  untilMs: number;
  limit: number;
  /** Only the events of one group (the preview of a group_by rule). */
  group?: { names: string[]; key: string };
}

/** The port for the preview's reads: the windows, and when events arrived. */
export interface AlertWindows extends WindowReader {
  /** Distinct timestamps of stored events of the query, oldest first. */
  eventTimes(q: ArrivalQuery): Promise<number[]>;
}

/** The tenant's projects (adapters/project-resolver.ts). */
export interface ProjectLister {
  projects(tenantId: string): Promise<{ id: string }[]>;
}

export interface HistoryEntry {
  tenantId: string;
  id: string;
  ruleId: string;
  ruleName: string;
  from: AlertStateName;
  to: AlertStateName;
  value: number | null;
  threshold: number;
  windowMs: number;
  /** The group of a group_by rule's transition (its path and value); null for a rule without group_by. */
  groupBy: string | null;
  groupKey: string | null;
  atMs: number;
  notification: 'firing' | 'resolved' | null;
  silenced: boolean;
  error: string | null;
}

export interface NewNotification {
  tenantId: string;
  id: string;
  ruleId: string;
  historyId: string;
  channel: Channel;
  payload: Record<string, unknown>;
  dueMs: number;
}

/** What one rule's evaluation does inside its transaction. */
export interface AlertTransaction {
  /** The rule's state, locked until the transaction ends (created as `ok` on first use). */
  lockState(tenantId: string, ruleId: string, nowMs: number): Promise<AlertState>;
  /** Runs the reads in a savepoint: when they fail, only they are rolled back and the transaction goes on. */
  savepoint<T>(reads: (windows: WindowReader) => Promise<T>): Promise<T>;
  /** Saves the rule's state (for a group_by rule: its summary, with how many groups the cap left out). */
  saveState(
    tenantId: string,
    ruleId: string,
    state: AlertState,
    nowMs: number,
    groupsTruncated?: number,
  ): Promise<void>;
  /** The states of a group_by rule's groups (call after lockState: the rule's lock serializes its evaluations). */
  groupStates(tenantId: string, ruleId: string): Promise<Map<string, AlertState>>;
  /** Upserts the states of `save` and deletes the groups of `forget`. */
  saveGroups(
    tenantId: string,
    ruleId: string,
    save: { key: string; state: AlertState }[],
    forget: string[],
    nowMs: number,
  ): Promise<void>;
  insertHistory(entry: HistoryEntry): Promise<void>;
  insertNotifications(rows: NewNotification[]): Promise<void>;
}

/** The port for the state, history and outbox of the rules: one transaction per evaluation. */
export interface AlertStateStore {
  transaction<T>(work: (tx: AlertTransaction) => Promise<T>): Promise<T>;
}

/** The projects a rule reads. */
export async function ruleProjectIds(projects: ProjectLister, rule: AlertRule): Promise<string[]> {
  return rule.projectId ? [rule.projectId] : (await projects.projects(rule.tenantId)).map((p) => p.id);
}

/**
 * The windows a rule reads at `nowMs` over `projectIds`: a ratio its numerator's and denominator's counts, an anomaly
 * rule its window and the baseline windows before it, every other rule its one window. With `untilMs`, only the events
 * stamped at or before it count (the preview's instants inside a bucket).
 */
export function ruleWindowReads(rule: AlertRule, projectIds: string[], nowMs: number, untilMs?: number): WindowQuery[] {
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
    return [
      { ...base, eventType: rule.numerator!, kind: 'count', path: null, windows: 1 },
      { ...base, eventType: rule.denominator!, kind: 'count', path: null, windows: 1 },
    ];
  }
  if (rule.anomaly) {
    return [
      {
        ...base,
        eventType: rule.eventType,
        ...parseMetric(rule.anomaly.of),
        windows: 1 + rule.anomaly.baselineWindows,
      },
    ];
  }
  return [{ ...base, eventType: rule.eventType, ...parseMetric(rule.metric), windows: 1 }];
}

/**
 * The value the rule compares, from the values of its window reads (in the order of ruleWindowReads): the ratio
 * (null for a zero denominator), the anomaly score, or the window's value.
 */
export function ruleValueOf(rule: AlertRule, windows: (number | null)[][]): number | null {
  if (rule.metric === 'ratio') {
    const [num] = windows[0]!;
    const [den] = windows[1]!;
    return !den ? null : num! / den;
  }
  if (rule.anomaly) {
    const values = windows[0]!;
    return anomalyScore(values[0]!, values.slice(1), rule.anomaly).score;
  }
  return windows[0]![0]!;
}

/** The value the rule compares at `nowMs` (for anomaly rules: the anomaly score); with `untilMs`, see ruleWindowReads. */
export async function ruleValue(
  deps: { windows: WindowReader; projects: ProjectLister },
  rule: AlertRule,
  nowMs: number,
  untilMs?: number,
): Promise<number | null> {
  const projectIds = await ruleProjectIds(deps.projects, rule);
  const values: (number | null)[][] = [];
  for (const q of ruleWindowReads(rule, projectIds, nowMs, untilMs)) values.push(await deps.windows.windowValues(q));
  return ruleValueOf(rule, values);
}

/**
 * The value of each group of a group_by rule at `nowMs` (the ratio per group for ratio rules); `keys` are read whatever
 * their rank, `only` restricts the read to one group. With `untilMs`, see ruleWindowReads.
 */
export async function ruleGroupValues(
  deps: { windows: WindowReader; projects: ProjectLister },
  rule: AlertRule,
  nowMs: number,
  opts: { keys?: string[]; only?: string; untilMs?: number } = {},
): Promise<GroupValues> {
  const projectIds = await ruleProjectIds(deps.projects, rule);
  const reads: GroupValues[] = [];
  for (const q of ruleWindowReads(rule, projectIds, nowMs, opts.untilMs)) {
    reads.push(
      await deps.windows.groupValues({
        ...q,
        groupBy: rule.groupBy!.names,
        keys: opts.keys ?? [],
        ...(opts.only === undefined ? {} : { only: opts.only }),
        limit: GROUP_READ_LIMIT,
      }),
    );
  }
  if (rule.metric !== 'ratio') return reads[0]!;
  const [num, den] = reads as [GroupValues, GroupValues];
  const values = new Map<string, number | null>();
  for (const k of new Set([...num.values.keys(), ...den.values.keys()])) {
    const d = den.values.get(k) ?? 0;
    values.set(k, !d ? null : (num.values.get(k) ?? 0) / d);
  }
  return { values, total: Math.max(values.size, num.total, den.total) };
}

/** The value of a group without events in the window: the metric's empty value (undefined for a ratio). */
export function groupEmptyValue(rule: AlertRule): number | null {
  return rule.metric === 'ratio' ? null : emptyValue(parseMetric(rule.metric).kind);
}

/** The history entry of a transition and, when it notifies, one outbox row per channel of the rule. */
export function transitionRecords(
  rule: AlertRule,
  state: AlertState,
  transition: Transition,
  nowMs: number,
  groupKey: string | null = null,
): { history: HistoryEntry; notifications: NewNotification[] } {
  const historyId = uuidv7(nowMs);
  const history: HistoryEntry = {
    tenantId: rule.tenantId,
    id: historyId,
    ruleId: rule.id,
    ruleName: rule.name,
    from: transition.from,
    to: transition.to,
    value: state.value,
    threshold: rule.threshold,
    windowMs: rule.windowMs,
    groupBy: groupKey === null ? null : rule.groupBy!.path,
    groupKey,
    atMs: nowMs,
    notification: transition.notification,
    silenced: transition.silenced,
    error: state.error,
  };
  if (!transition.notification) return { history, notifications: [] };
  const notifications = rule.channels.map((channel) => {
    const id = uuidv7(nowMs);
    const group = groupKey === null ? null : groupObject(rule.groupBy!.path, groupKey);
    const payload = { ...notificationPayload(rule, id, transition.to, state.value, nowMs, group) };
    return { tenantId: rule.tenantId, id, ruleId: rule.id, historyId, channel, payload, dueMs: nowMs };
  });
  return { history, notifications };
}

/** What the engine needs (adapters/index.ts provides it). */
export interface EvaluationDeps {
  alertStore: AlertStateStore;
  projects: ProjectLister;
  config: { alerts: { allowedLatenessMs: number } };
}

/** What the preview needs (adapters/index.ts provides it). */
export interface PreviewDeps {
  alertWindows: AlertWindows;
  projects: ProjectLister;
  config: { alerts: { allowedLatenessMs: number } };
}

/** Evaluates one rule at `nowMs`; returns the ids of the notifications it created (after the commit). */
export async function evaluateRule(deps: EvaluationDeps, rule: AlertRule, nowMs: number): Promise<string[]> {
  if (rule.groupBy) return evaluateGroupedRule(deps, rule, nowMs);
  return deps.alertStore.transaction(async (tx) => {
    const prev = await tx.lockState(rule.tenantId, rule.id, nowMs);
    let outcome: Outcome;
    try {
      outcome = {
        value: await tx.savepoint((windows) => ruleValue({ windows, projects: deps.projects }, rule, nowMs)),
      };
    } catch (e) {
      // A value the rule's own query cannot handle puts the rule in `error`; infrastructure and defects throw.
      if (classifyFailure(e) !== 'data') throw e;
      outcome = { error: (e as Error).message };
    }
    const { state, transition } = nextState(
      prev,
      outcome,
      ruleTiming(rule, deps.config.alerts.allowedLatenessMs),
      nowMs,
    );
    await tx.saveState(rule.tenantId, rule.id, state, nowMs);
    if (!transition) return [];
    const { history, notifications } = transitionRecords(rule, state, transition, nowMs);
    await tx.insertHistory(history);
    await tx.insertNotifications(notifications);
    return notifications.map((n) => n.id);
  });
}

/**
 * Evaluates a group_by rule at `nowMs` (core/alert-groups.ts): in one transaction, under the lock of the rule's own
 * state, every group's new state, the history entry and outbox rows of each group's transition, and the rule's
 * summary state — as crash-safe as a single rule's (nothing is written unless all of it is).
 */
async function evaluateGroupedRule(deps: EvaluationDeps, rule: AlertRule, nowMs: number): Promise<string[]> {
  return deps.alertStore.transaction(async (tx) => {
    const prev = await tx.lockState(rule.tenantId, rule.id, nowMs);
    const tracked = await tx.groupStates(rule.tenantId, rule.id);
    let seen: GroupValues | { error: string };
    try {
      seen = await tx.savepoint((windows) =>
        ruleGroupValues({ windows, projects: deps.projects }, rule, nowMs, { keys: [...tracked.keys()] }),
      );
    } catch (e) {
      if (classifyFailure(e) !== 'data') throw e;
      seen = { error: (e as Error).message };
    }
    const { steps, truncated, summary } = evaluateGroups({
      tracked,
      seen,
      emptyValue: groupEmptyValue(rule),
      timing: ruleTiming(rule, deps.config.alerts.allowedLatenessMs),
      nowMs,
    });
    await tx.saveGroups(
      rule.tenantId,
      rule.id,
      steps.filter((s) => !s.forget).map(({ key, state }) => ({ key, state })),
      steps.filter((s) => s.forget && tracked.has(s.key)).map((s) => s.key),
      nowMs,
    );
    const ruleState: AlertState = {
      ...prev,
      state: summary.state,
      sinceMs: summary.state === prev.state ? prev.sinceMs : nowMs,
      pendingSinceMs: null,
      clearSinceMs: null,
      value: null,
      error: summary.error,
    };
    await tx.saveState(rule.tenantId, rule.id, ruleState, nowMs, truncated);
    const created: string[] = [];
    for (const s of steps) {
      if (!s.transition) continue;
      const { history, notifications } = transitionRecords(rule, s.state, s.transition, nowMs, s.key);
      await tx.insertHistory(history);
      await tx.insertNotifications(notifications);
      created.push(...notifications.map((n) => n.id));
    }
    return created;
  });
}

/** Evaluates rules a few at a time; returns every notification created. */
export async function evaluateRules(
  deps: EvaluationDeps,
  rules: AlertRule[],
  nowMs: number,
  concurrency = 4,
): Promise<string[]> {
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

const MAX_PREVIEW_STEPS = 360;
/** Event times read per change between two preview points (the crossing is found among them). */
const MAX_ARRIVALS = 2_000;

/**
 * The rule replayed over [fromMs, toMs] (toMs at most now) from stored data, with the same values and state machine
 * as the live engine (core/alert-preview.ts). Points are 10 s apart (or wider for long ranges, at most
 * MAX_PREVIEW_STEPS of them); a transition is placed at the instant the live engine would have made it.
 */
export async function previewRule(
  deps: PreviewDeps,
  rule: AlertRule,
  fromMs: number,
  toMs: number,
): Promise<{ stepMs: number; series: PreviewPoint[]; transitions: PreviewTransition[] }> {
  const p = await previewSetup(deps, rule, fromMs, toMs);
  // Just before a boundary the window ending there holds every stored event of its buckets: the rollups answer.
  const { series, transitions } = await p.replay((nowMs, untilMs) => ruleValue(p.reads, rule, nowMs, untilMs));
  return { stepMs: p.stepMs, series, transitions };
}

/**
 * What a preview of [fromMs, toMs] replays with: the step (10 s, or wider for long ranges, at most
 * MAX_PREVIEW_STEPS of them), the reads, and `replay(valueOf, group?)`, the state machine stepped over the values
 * `valueOf` gives and woken by the arrivals of the rule's events (of one group when given).
 */
async function previewSetup(deps: PreviewDeps, rule: AlertRule, fromMs: number, toMs: number) {
  const step10 = INTERVAL_MS['10s'];
  const stepMs = Math.max(step10, Math.ceil((toMs - fromMs) / MAX_PREVIEW_STEPS / step10) * step10);
  const projectIds = await ruleProjectIds(deps.projects, rule);
  const eventTypes = rule.metric === 'ratio' ? [rule.numerator!, rule.denominator!] : [rule.eventType];
  const reads = { windows: deps.alertWindows, projects: deps.projects };
  const replay = (valueOf: (nowMs: number, untilMs?: number) => Promise<number | null>, group?: string) =>
    replayRule(
      {
        valueBefore: (boundaryMs) => valueOf(boundaryMs - 1),
        valueAt: (ms) => valueOf(ms, ms),
        arrivals: (afterMs, untilMs) =>
          reads.windows.eventTimes({
            tenantId: rule.tenantId,
            projectIds,
            eventTypes,
            afterMs,
            untilMs,
            limit: MAX_ARRIVALS,
            ...(group === undefined ? {} : { group: { names: rule.groupBy!.names, key: group } }),
          }),
      },
      ruleTiming(rule, deps.config.alerts.allowedLatenessMs),
      fromMs,
      toMs,
      stepMs,
    );
  return { step10, stepMs, projectIds, reads, replay };
}

/** A group_by preview replays at most this many groups (the ones with the most events over the range). */
export const MAX_PREVIEW_GROUPS = 10;

/**
 * previewRule for a group_by rule: each group replayed as the live engine steps it (the rule restricted to the
 * group's events, from `ok` at fromMs). The groups are `only` when given, else the MAX_PREVIEW_GROUPS groups with the
 * most events over [fromMs - window, toMs]; `truncated` counts the other groups seen there.
 */
export async function previewGroupedRule(
  deps: PreviewDeps,
  rule: AlertRule,
  fromMs: number,
  toMs: number,
  only?: string,
): Promise<{
  stepMs: number;
  groups: { key: string; series: PreviewPoint[]; transitions: PreviewTransition[] }[];
  truncated: number;
}> {
  const { step10, stepMs, projectIds, reads, replay } = await previewSetup(deps, rule, fromMs, toMs);
  let keys: string[];
  let truncated = 0;
  if (only !== undefined) keys = [only];
  else {
    // One window spanning the whole range (10s-aligned, like every window) finds the groups with events in it.
    const spanMs = Math.ceil((toMs - fromMs + rule.windowMs) / step10) * step10 + step10;
    const found: GroupValues[] = [];
    for (const q of ruleWindowReads({ ...rule, windowMs: spanMs }, projectIds, toMs, toMs)) {
      found.push(
        await deps.alertWindows.groupValues({
          ...q,
          groupBy: rule.groupBy!.names,
          keys: [],
          limit: MAX_PREVIEW_GROUPS,
        }),
      );
    }
    const all = [...new Set(found.flatMap((f) => [...f.values.keys()]))];
    keys = all.slice(0, MAX_PREVIEW_GROUPS);
    truncated = Math.max(all.length, ...found.map((f) => f.total)) - keys.length;
  }
  const empty = groupEmptyValue(rule);
  const valueOf = async (key: string, nowMs: number, untilMs?: number) => {
    const v = (await ruleGroupValues(reads, rule, nowMs, { only: key, ...(untilMs === undefined ? {} : { untilMs }) }))
      .values;
    return v.has(key) ? v.get(key)! : empty;
  };
  const groups = [];
  for (const key of keys) {
    const { series, transitions } = await replay((nowMs, untilMs) => valueOf(key, nowMs, untilMs), key);
    groups.push({ key, series, transitions });
  }
  return { stepMs, groups, truncated };
}
