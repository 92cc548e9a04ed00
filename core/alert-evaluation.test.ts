import {
  evaluateRule,
  evaluateRules,
  previewGroupedRule,
  previewRule,
  ruleValue,
  ruleValueOf,
  ruleWindowReads,
  transitionRecords,
  type AlertTransaction,
  type AlertWindows,
  type EvaluationDeps,
  type HistoryEntry,
  type NewNotification,
  type WindowQuery,
} from './alert-evaluation';
import { ruleFromSpec, type AlertRule, type StoredRuleSpec } from './alert-rule';
import { INITIAL_STATE, type AlertState } from './alert-state';
import { isUuid } from './ids';

const S = 1_000;
const T0 = Date.UTC(2026, 10, 27, 12, 0, 0); // a 10 s boundary
const WEBHOOK = { type: 'webhook' as const, url: 'https://example.com/hook', secret: 'whsec_0123456789abcdef' };
const EMAIL = { type: 'email' as const, to: ['ops@example.com'] };

function rule(spec: Partial<StoredRuleSpec> = {}, projectId: string | null = null): AlertRule {
  const base: StoredRuleSpec = {
    name: 'r',
    event_type: 'signup',
    metric: 'count',
    condition: { op: '>', threshold: 2 },
    window: '1m',
    for: '0s',
    cooldown: '0s',
    enabled: true,
    channels: [WEBHOOK, EMAIL],
  };
  return ruleFromSpec({ tenantId: 't1', id: 'rule-1', projectId }, { ...base, ...spec });
}

const ratioRule = (condition = { op: '>' as const, threshold: 2 }) =>
  rule({ metric: 'ratio', event_type: undefined, numerator: 'fail', denominator: 'try', condition });
const anomalyRule = (anomaly: NonNullable<StoredRuleSpec['anomaly']>) =>
  rule({ metric: 'anomaly', condition: undefined, anomaly });

const projects = { projects: async () => [{ id: 'p1' }, { id: 'p2' }] };

/** Window reads answered from a table of values per event type; records every query. */
function windows(
  values: Record<string, (number | null)[]>,
  arrivals: number[] = [],
  groups: Record<string, Record<string, number | null>> = {},
) {
  const asked: WindowQuery[] = [];
  const arrivalsAsked: unknown[] = [];
  const w: AlertWindows = {
    windowValues: async (q) => {
      asked.push(q);
      return Array.from({ length: q.windows }, (_, i) => values[q.eventType]?.[i] ?? 0);
    },
    groupValues: async (q) => {
      asked.push(q);
      const all = Object.entries(groups[q.eventType] ?? {}).filter(([k]) => q.only === undefined || k === q.only);
      return { values: new Map(all), total: all.length };
    },
    eventTimes: async (q) => {
      arrivalsAsked.push(q);
      return arrivals.filter((a) => a > q.afterMs && a <= q.untilMs);
    },
  };
  return { w, asked, arrivalsAsked };
}

describe('ruleWindowReads', () => {
  it('a rule reads its one window ending at the end of the current 10s bucket, with its filters as prop paths', () => {
    const r = rule({ metric: 'avg:order.total', filter: { 'plan.tier': 'pro', beta: true } }, 'p9');
    expect(ruleWindowReads(r, ['p9'], T0 + 3 * S)).toEqual([
      {
        tenantId: 't1',
        projectIds: ['p9'],
        eventType: 'signup',
        kind: 'avg',
        path: ['order', 'total'],
        props: [
          [['plan', 'tier'], 'pro'],
          [['beta'], 'true'],
        ],
        toMs: T0 + 10 * S,
        windowMs: 60 * S,
        windows: 1,
      },
    ]);
    expect(ruleWindowReads(r, ['p9'], T0 + 3 * S, T0 + 3 * S)[0]).toMatchObject({ untilMs: T0 + 3 * S });
  });

  it('a ratio reads the counts of its numerator and denominator; an anomaly rule its window and the baseline', () => {
    const ratio = ratioRule();
    expect(ruleWindowReads(ratio, ['p1'], T0).map((q) => [q.eventType, q.kind, q.path, q.windows])).toEqual([
      ['fail', 'count', null, 1],
      ['try', 'count', null, 1],
    ]);
    const anomaly = anomalyRule({ of: 'sum:amount', sensitivity: 3, direction: 'both', baseline_windows: 12 });
    const reads = ruleWindowReads(anomaly, ['p1'], T0);
    expect(reads.map((q) => [q.eventType, q.kind, q.path, q.windows])).toEqual([['signup', 'sum', ['amount'], 13]]);
  });
});

describe('ruleValueOf', () => {
  it('divides a ratio (null for a zero denominator), scores an anomaly, else takes the window value', () => {
    const ratio = ratioRule();
    expect(ruleValueOf(ratio, [[3], [4]])).toBe(0.75);
    expect(ruleValueOf(ratio, [[3], [0]])).toBeNull();
    const anomaly = anomalyRule({ of: 'count', sensitivity: 3, direction: 'both', baseline_windows: 4 });
    expect(ruleValueOf(anomaly, [[20, 10, 10, 10, 10]])).toBeCloseTo(10 / Math.sqrt(10));
    expect(ruleValueOf(rule(), [[7]])).toBe(7);
    expect(ruleValueOf(rule({ metric: 'avg:x' }), [[null]])).toBeNull();
  });
});

describe('ruleValue', () => {
  it('reads the rule’s project, or every project of the tenant, in the order of its reads', async () => {
    const { w, asked } = windows({ fail: [1], try: [4] });
    const ratio = ratioRule();
    expect(await ruleValue({ windows: w, projects }, ratio, T0)).toBe(0.25);
    expect(asked.map((q) => [q.eventType, q.projectIds])).toEqual([
      ['fail', ['p1', 'p2']],
      ['try', ['p1', 'p2']],
    ]);
    expect(await ruleValue({ windows: w, projects }, rule({}, 'p7'), T0)).toBe(0);
    expect(asked[2]!.projectIds).toEqual(['p7']);
  });
});

describe('transitionRecords', () => {
  const state: AlertState = { ...INITIAL_STATE, state: 'firing', sinceMs: T0, value: 5 };

  it('a notifying transition: the history entry and one outbox row per channel, due now, with the payload', () => {
    const r = rule();
    const fired = { from: 'ok', to: 'firing', notification: 'firing', silenced: false } as const;
    const { history, notifications } = transitionRecords(r, state, fired, T0);
    expect(history).toEqual({
      tenantId: 't1',
      id: expect.any(String),
      ruleId: 'rule-1',
      ruleName: 'r',
      from: 'ok',
      to: 'firing',
      value: 5,
      threshold: 2,
      windowMs: 60 * S,
      groupBy: null,
      groupKey: null,
      atMs: T0,
      notification: 'firing',
      silenced: false,
      error: null,
    });
    expect(isUuid(history.id)).toBe(true);
    expect(notifications.map((n) => n.channel)).toEqual([WEBHOOK, EMAIL]);
    for (const n of notifications) {
      expect(n).toMatchObject({ tenantId: 't1', ruleId: 'rule-1', historyId: history.id, dueMs: T0 });
      const at = new Date(T0).toISOString();
      expect(n.payload).toMatchObject({
        id: n.id,
        rule_id: 'rule-1',
        state: 'firing',
        value: 5,
        threshold: 2,
        event_type: 'signup',
        at,
      });
    }
    expect(new Set([history.id, ...notifications.map((n) => n.id)]).size).toBe(3);
  });

  it('a silenced firing or a change without a notification has its history entry only', () => {
    const silenced = transitionRecords(
      rule(),
      state,
      { from: 'ok', to: 'firing', notification: null, silenced: true },
      T0,
    );
    expect(silenced.history).toMatchObject({ silenced: true, notification: null });
    expect(silenced.notifications).toEqual([]);
    const failed = { ...state, state: 'error' as const, value: null, error: 'boom' };
    const errored = transitionRecords(
      rule(),
      failed,
      { from: 'ok', to: 'error', notification: null, silenced: false },
      T0,
    );
    expect(errored.history).toMatchObject({ to: 'error', value: null, error: 'boom' });
    expect(errored.notifications).toEqual([]);
  });
});

/** An in-memory state store: one state per rule, history and outbox; a transaction's writes land only when it succeeds. */
function memoryStore(w: AlertWindows) {
  const states = new Map<string, AlertState>();
  const groups = new Map<string, Map<string, AlertState>>();
  const truncated = new Map<string, number | undefined>();
  const history: HistoryEntry[] = [];
  const outbox: NewNotification[] = [];
  let savepoints = 0;
  const deps: EvaluationDeps = {
    projects,
    config: { alerts: { allowedLatenessMs: 20 * S } },
    alertStore: {
      async transaction(work) {
        const pending = {
          states: new Map<string, AlertState>(),
          groups: new Map<string, Map<string, AlertState>>(),
          truncated: new Map<string, number | undefined>(),
          history: [] as HistoryEntry[],
          outbox: [] as NewNotification[],
        };
        const tx: AlertTransaction = {
          lockState: async (_t, ruleId, nowMs) => states.get(ruleId) ?? { ...INITIAL_STATE, sinceMs: nowMs },
          savepoint: async (reads) => {
            savepoints++;
            return reads(w);
          },
          saveState: async (_t, ruleId, s, _now, n) => {
            pending.states.set(ruleId, s);
            pending.truncated.set(ruleId, n);
          },
          groupStates: async (_t, ruleId) => new Map(groups.get(ruleId) ?? []),
          saveGroups: async (_t, ruleId, save, forget) => {
            const g = new Map(pending.groups.get(ruleId) ?? groups.get(ruleId) ?? []);
            for (const k of forget) g.delete(k);
            for (const { key, state } of save) g.set(key, state);
            pending.groups.set(ruleId, g);
          },
          insertHistory: async (h) => void pending.history.push(h),
          insertNotifications: async (rows) => void pending.outbox.push(...rows),
        };
        const result = await work(tx);
        for (const [k, v] of pending.states) states.set(k, v);
        for (const [k, v] of pending.groups) groups.set(k, v);
        for (const [k, v] of pending.truncated) truncated.set(k, v);
        history.push(...pending.history);
        outbox.push(...pending.outbox);
        return result;
      },
    },
  };
  return { deps, states, groups, truncated, history, outbox, savepoints: () => savepoints };
}

describe('evaluateRule', () => {
  it('reads the value in a savepoint, saves the state, and writes the transition with its outbox rows', async () => {
    const { w } = windows({ signup: [3] });
    const m = memoryStore(w);
    const ids = await evaluateRule(m.deps, rule(), T0);
    expect(m.savepoints()).toBe(1);
    expect(m.states.get('rule-1')).toMatchObject({ state: 'firing', value: 3, sinceMs: T0 });
    expect(m.history).toEqual([
      expect.objectContaining({ from: 'ok', to: 'firing', notification: 'firing', value: 3 }),
    ]);
    expect(ids).toEqual(m.outbox.map((n) => n.id));
    expect(ids).toHaveLength(2);

    // Still holding: no transition, nothing written but the state.
    expect(await evaluateRule(m.deps, rule(), T0 + 10 * S)).toEqual([]);
    expect(m.history).toHaveLength(1);
  });

  it('a data error of the rule’s own query puts the rule in `error`; infrastructure failures throw and write nothing', async () => {
    const dataError = Object.assign(new Error('invalid input syntax for type numeric'), {
      name: 'PostgresError',
      code: '22P02',
    });
    const failing = (e: Error): AlertWindows => ({
      windowValues: async () => Promise.reject(e),
      groupValues: async () => Promise.reject(e),
      eventTimes: async () => [],
    });
    const m = memoryStore(failing(dataError));
    expect(await evaluateRule(m.deps, rule(), T0)).toEqual([]);
    expect(m.states.get('rule-1')).toMatchObject({
      state: 'error',
      error: 'invalid input syntax for type numeric',
      value: null,
    });
    expect(m.history).toEqual([
      expect.objectContaining({ from: 'ok', to: 'error', error: 'invalid input syntax for type numeric' }),
    ]);

    const down = memoryStore(failing(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })));
    await expect(evaluateRule(down.deps, rule(), T0)).rejects.toThrow('connect ECONNREFUSED');
    expect(down.states.size).toBe(0);
    expect(down.history).toEqual([]);
  });
});

describe('evaluateRule with group_by', () => {
  const grouped = (spec: Partial<StoredRuleSpec> = {}) => rule({ group_by: 'geo.country', ...spec });

  it('one state per group in the rule’s transaction: the firing group’s history and outbox name it; the rule keeps a summary', async () => {
    const { w, asked } = windows({}, [], { signup: { DE: 5, FR: 1 } });
    const m = memoryStore(w);
    const ids = await evaluateRule(m.deps, grouped(), T0);
    expect(asked[0]).toMatchObject({ groupBy: ['geo', 'country'], keys: [], limit: 1_000, windows: 1 });
    expect([...m.groups.get('rule-1')!].map(([k, s]) => [k, s.state, s.value])).toEqual([
      ['DE', 'firing', 5],
      ['FR', 'ok', 1],
    ]);
    expect(m.states.get('rule-1')).toMatchObject({ state: 'firing', value: null });
    expect(m.truncated.get('rule-1')).toBe(0);
    expect(m.history).toEqual([
      expect.objectContaining({ from: 'ok', to: 'firing', groupBy: 'geo.country', groupKey: 'DE', value: 5 }),
    ]);
    expect(ids).toHaveLength(2); // webhook and e-mail of DE only
    for (const n of m.outbox) expect(n.payload).toMatchObject({ group: { 'geo.country': 'DE' }, value: 5 });

    // The next evaluation reads the tracked groups whatever their rank.
    await evaluateRule(m.deps, grouped(), T0 + 10 * S);
    expect(asked[1]).toMatchObject({ keys: ['DE', 'FR'] });
  });

  it('a ratio per group divides each group’s counts (undefined without a denominator)', async () => {
    const { w } = windows({}, [], { fail: { DE: 3, FR: 1 }, try: { DE: 4, US: 2 } });
    const r = ruleFromSpec(
      { tenantId: 't1', id: 'rule-1', projectId: null },
      {
        name: 'r',
        metric: 'ratio',
        numerator: 'fail',
        denominator: 'try',
        condition: { op: '>', threshold: 0.5 },
        window: '1m',
        for: '0s',
        cooldown: '0s',
        enabled: true,
        channels: [],
        group_by: 'country',
      },
    );
    const m2 = memoryStore(w);
    await evaluateRule(m2.deps, r, T0);
    expect([...m2.groups.get('rule-1')!].map(([k, s]) => [k, s.state, s.value])).toEqual([
      ['DE', 'firing', 0.75],
      ['US', 'ok', 0],
      ['FR', 'no_data', null],
    ]);
  });

  it('a read failure of a data kind puts the groups in error; an infrastructure failure writes nothing', async () => {
    const m = memoryStore(windows({}, [], { signup: { DE: 1 } }).w);
    await evaluateRule(m.deps, grouped(), T0);
    const dataError = Object.assign(new Error('invalid input syntax for type numeric'), {
      name: 'PostgresError',
      code: '22P02',
    });
    const failing = (e: Error): AlertWindows => ({
      windowValues: async () => Promise.reject(e),
      groupValues: async () => Promise.reject(e),
      eventTimes: async () => [],
    });
    const m2 = memoryStore(failing(new Error('connection reset')));
    await expect(evaluateRule(m2.deps, grouped(), T0)).rejects.toThrow('connection reset');
    expect(m2.groups.size).toBe(0);
    expect(m2.states.size).toBe(0);
    const m3 = memoryStore(failing(dataError));
    await evaluateRule(m3.deps, grouped(), T0);
    expect(m3.states.get('rule-1')).toMatchObject({ state: 'error', error: 'invalid input syntax for type numeric' });
  });
});

describe('evaluateRules', () => {
  it('evaluates every rule once and returns every notification created', async () => {
    const { w, asked } = windows({ a: [5], b: [0], c: [9] });
    const m = memoryStore(w);
    const rules = ['a', 'b', 'c'].map((t) => ({ ...rule({ event_type: t, channels: [WEBHOOK] }), id: `rule-${t}` }));
    const ids = await evaluateRules(m.deps, rules, T0, 2);
    expect(asked.map((q) => q.eventType).sort()).toEqual(['a', 'b', 'c']);
    expect(ids.sort()).toEqual(m.outbox.map((n) => n.id).sort());
    expect(m.outbox.map((n) => n.ruleId).sort()).toEqual(['rule-a', 'rule-c']);
    expect(await evaluateRules(m.deps, [], T0)).toEqual([]);
  });
});

describe('previewRule', () => {
  const deps = (w: AlertWindows) => ({ alertWindows: w, projects, config: { alerts: { allowedLatenessMs: 20 * S } } });

  it('steps 10 s over short ranges and widens the step to keep at most 360 points', async () => {
    const { w } = windows({});
    expect((await previewRule(deps(w), rule(), T0, T0 + 60 * S)).stepMs).toBe(10 * S);
    expect((await previewRule(deps(w), rule(), T0, T0 + 3_600_000)).stepMs).toBe(10 * S);
    expect((await previewRule(deps(w), rule(), T0, T0 + 3_600_001)).stepMs).toBe(20 * S);
    expect((await previewRule(deps(w), rule(), T0, T0 + 24 * 3_600_000)).stepMs).toBe(240 * S);
  });

  it('replays the live engine’s value and asks for arrivals of the rule’s event types over its projects', async () => {
    const { w, arrivalsAsked } = windows({ fail: [3], try: [4] }, [T0 + 5 * S]);
    const ratio = ratioRule({ op: '>', threshold: 0.5 });
    const r = await previewRule(deps(w), ratio, T0, T0 + 30 * S);
    expect(r.series.map((p) => [p.t - T0, p.value, p.state])).toEqual([
      [0, 0.75, 'firing'],
      [10 * S, 0.75, 'firing'],
      [20 * S, 0.75, 'firing'],
      [30 * S, 0.75, 'firing'],
    ]);
    expect(r.transitions).toEqual([expect.objectContaining({ from: 'ok', to: 'firing', atMs: T0 })]);
    // The value never changes between points, so no crossing is searched: no arrivals asked.
    expect(arrivalsAsked).toEqual([]);

    // `fail` appears in the window ending at T0 + 20 s: the preview finds the crossing at the 10 s boundary.
    const { w: w2, arrivalsAsked: asked2 } = windows({}, [T0 + 5 * S]);
    const failLater: AlertWindows = {
      ...w2,
      windowValues: async (q) => [q.eventType === 'try' || q.toMs > T0 + 10 * S ? 1 : 0],
    };
    const r2 = await previewRule(deps(failLater), ratio, T0, T0 + 30 * S);
    expect(r2.transitions.map((t) => [t.to, t.atMs - T0])).toEqual([['firing', 10 * S]]);
    expect(asked2[0]).toMatchObject({
      tenantId: 't1',
      projectIds: ['p1', 'p2'],
      eventTypes: ['fail', 'try'],
      limit: 2_000,
    });
  });
});

describe('previewGroupedRule', () => {
  const deps = (w: AlertWindows) => ({ alertWindows: w, projects, config: { alerts: { allowedLatenessMs: 20 * S } } });

  it('replays each group on its own, restricted to its events; finds the groups over the range, or takes the one asked', async () => {
    const { w, asked, arrivalsAsked } = windows({}, [], { signup: { DE: 5, FR: 1 } });
    const r = await previewGroupedRule(deps(w), rule({ group_by: 'country' }), T0, T0 + 20 * S);
    expect(r.groups.map((g) => [g.key, g.series.map((p) => p.state)])).toEqual([
      ['DE', ['firing', 'firing', 'firing']],
      ['FR', ['ok', 'ok', 'ok']],
    ]);
    expect(r.groups[0]!.transitions).toEqual([expect.objectContaining({ from: 'ok', to: 'firing', atMs: T0 })]);
    expect(r.truncated).toBe(0);
    // The discovery read spans the range and the window; the replays read one group each.
    expect(asked[0]).toMatchObject({ keys: [], limit: 10 });
    expect((asked[0] as WindowQuery).windowMs).toBeGreaterThanOrEqual(80 * S);
    expect(asked.slice(1).every((q) => 'only' in q)).toBe(true);
    expect(arrivalsAsked).toEqual([]);
    const one = await previewGroupedRule(deps(w), rule({ group_by: 'country' }), T0, T0 + 20 * S, 'FR');
    expect(one.groups.map((g) => g.key)).toEqual(['FR']);
    // A group with no events at all has the empty value (0 for a count).
    const none = await previewGroupedRule(deps(w), rule({ group_by: 'country' }), T0, T0 + 20 * S, 'XX');
    expect(none.groups[0]!.series.map((p) => p.value)).toEqual([0, 0, 0]);
  });
});
