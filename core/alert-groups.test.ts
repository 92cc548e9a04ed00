import fc from 'fast-check';
import { evaluateGroups, MAX_GROUPS, severity, type GroupValues } from './alert-groups';
import { INITIAL_STATE, nextState, type AlertState, type Timing } from './alert-state';

const S = 1_000;
const T0 = 1_800_000_000_000;
const timing: Timing = { op: '>', threshold: 5, forMs: 0, cooldownMs: 0, allowedLatenessMs: 20 * S };

const seen = (values: Record<string, number | null>, total?: number): GroupValues => ({
  values: new Map(Object.entries(values)),
  total: total ?? Object.keys(values).length,
});

/** Runs evaluations in order over a grouped rule's memory; returns the states and each group's transitions. */
function run(
  steps: [number, GroupValues | { error: string }][],
  t: Timing = timing,
  opts: { cap?: number; emptyValue?: number | null } = {},
) {
  let tracked = new Map<string, AlertState>();
  const transitions: string[] = [];
  /** With the notification and silenced flags. */
  const detailed: string[] = [];
  let last: ReturnType<typeof evaluateGroups> | null = null;
  for (const [at, values] of steps) {
    last = evaluateGroups({
      tracked,
      seen: values,
      emptyValue: opts.emptyValue === undefined ? 0 : opts.emptyValue,
      timing: t,
      nowMs: at,
      cap: opts.cap,
    });
    const next = new Map<string, AlertState>();
    for (const s of last.steps) {
      if (!s.forget) next.set(s.key, s.state);
      if (!s.transition) continue;
      transitions.push(`${s.key}:${s.transition.from}>${s.transition.to}`);
      detailed.push(
        `${s.key}:${s.transition.from}>${s.transition.to}:${s.transition.notification}:${s.transition.silenced}`,
      );
    }
    tracked = next;
  }
  return { tracked, transitions, detailed, last: last! };
}

describe('evaluateGroups', () => {
  it('one state machine per group: DE fires and resolves on its own while FR stays ok', () => {
    const { transitions, tracked } = run([
      [T0, seen({ DE: 3, FR: 2 })],
      [T0 + 10 * S, seen({ DE: 9, FR: 2 })],
      [T0 + 20 * S, seen({ DE: 1, FR: 4 })], // DE false: waits for the allowed lateness
      [T0 + 40 * S, seen({ DE: 1, FR: 4 })],
    ]);
    expect(transitions).toEqual(['DE:ok>firing', 'DE:firing>ok']);
    expect(tracked.get('FR')).toMatchObject({ state: 'ok', value: 4 });
    expect(tracked.get('DE')).toMatchObject({ state: 'ok', value: 1 });
  });

  it('a group without events has the empty value: absence fires per group; an idle ok group is forgotten', () => {
    const absence: Timing = { ...timing, op: '<', threshold: 1 };
    const r = run(
      [
        [T0, seen({ a: 2, b: 3 })],
        [T0 + 10 * S, seen({ a: 2 })], // b has no events any more: count 0 < 1
      ],
      absence,
    );
    expect(r.transitions).toEqual(['b:ok>firing']);
    expect(r.last.summary).toEqual({ state: 'firing', error: null });
    const idle = run([
      [T0, seen({ a: 2, b: 3 })],
      [T0 + 10 * S, seen({ a: 2 })],
    ]);
    expect([...idle.tracked.keys()]).toEqual(['a']); // b: ok, no events → forgotten, nothing recorded
    expect(idle.transitions).toEqual([]);
  });

  it('undefined values of an average: no_data is recorded while the group has events, forgotten when it has none', () => {
    const r = run(
      [
        [T0, seen({ a: 3, b: null })], // b has events but none with a number
        [T0 + 10 * S, seen({ a: 3 })],
      ],
      timing,
      { emptyValue: null },
    );
    expect(r.transitions).toEqual(['b:ok>no_data']);
    expect([...r.tracked.keys()]).toEqual(['a']);
  });

  it('a firing group without events still resolves (after the lateness) and is forgotten only then', () => {
    const r = run([
      [T0, seen({ a: 9 })],
      [T0 + 10 * S, seen({})],
      [T0 + 30 * S, seen({})],
      [T0 + 40 * S, seen({})],
    ]);
    expect(r.transitions).toEqual(['a:ok>firing', 'a:firing>ok']);
    expect(r.tracked.size).toBe(0);
  });

  it('keeps a group inside its cooldown, so a second firing in it stays silent', () => {
    const t = { ...timing, cooldownMs: 10 * 60 * S, allowedLatenessMs: 0 };
    const steps: [number, GroupValues][] = [
      [T0, seen({ a: 9 })],
      [T0 + 10 * S, seen({})], // resolved, no events: kept (cooldown running)
      [T0 + 20 * S, seen({})],
      [T0 + 30 * S, seen({ a: 9 })],
    ];
    let tracked = new Map<string, AlertState>();
    const notes: (string | null)[] = [];
    for (const [at, v] of steps) {
      const r = evaluateGroups({ tracked, seen: v, emptyValue: 0, timing: t, nowMs: at });
      tracked = new Map(r.steps.filter((s) => !s.forget).map((s) => [s.key, s.state]));
      for (const s of r.steps) if (s.transition) notes.push(s.transition.notification);
    }
    expect(notes).toEqual(['firing', 'resolved', null]); // the second firing is silenced
  });

  it('the cap: the most alarming groups are evaluated, the rest counted; firing groups always stay', () => {
    const r = evaluateGroups({
      tracked: new Map(),
      seen: seen({ a: 10, b: 5, c: 7, d: 1 }),
      emptyValue: 0,
      timing,
      nowMs: T0,
      cap: 2,
    });
    expect(r.steps.map((s) => s.key)).toEqual(['a', 'c']);
    expect(r.truncated).toBe(2);
    // b is firing: it keeps its place although c and a are higher; a takes the other place.
    const firing: AlertState = { ...INITIAL_STATE, state: 'firing', sinceMs: T0, value: 6 };
    const next = evaluateGroups({
      tracked: new Map([
        ['b', firing],
        ['d', { ...INITIAL_STATE, sinceMs: T0, value: 1 }],
      ]),
      seen: seen({ a: 10, b: 5, c: 7, d: 1 }),
      emptyValue: 0,
      timing,
      nowMs: T0 + 10 * S,
      cap: 2,
    });
    expect(next.steps.filter((s) => !s.forget).map((s) => s.key)).toEqual(['b', 'a']);
    expect(next.steps.filter((s) => s.forget).map((s) => s.key)).toEqual(['d']); // ok, displaced: forgotten
    expect(next.truncated).toBe(2); // c and d had events and were left out
    // Groups the read did not return (past its limit) count as left out too.
    expect(
      evaluateGroups({ tracked: new Map(), seen: seen({ a: 1 }, 50), emptyValue: 0, timing, nowMs: T0 }).truncated,
    ).toBe(49);
  });

  it('the default cap is MAX_GROUPS', () => {
    const many = Object.fromEntries(Array.from({ length: MAX_GROUPS + 7 }, (_, i) => [`g${i}`, i]));
    const r = evaluateGroups({ tracked: new Map(), seen: seen(many), emptyValue: 0, timing, nowMs: T0 });
    expect(r.steps).toHaveLength(MAX_GROUPS);
    expect(r.truncated).toBe(7);
    expect(r.steps.some((s) => s.key === 'g0')).toBe(false); // the lowest values are the ones left out for >
  });

  it('severity: highest first for > and >=, lowest for < and <=, nearest for ==, undefined last', () => {
    expect(severity(9, timing)).toBeLessThan(severity(3, timing));
    expect(severity(3, { op: '<=', threshold: 5 })).toBeLessThan(severity(9, { op: '<=', threshold: 5 }));
    expect(severity(6, { op: '==', threshold: 5 })).toBeLessThan(severity(9, { op: '==', threshold: 5 }));
    expect(severity(null, { op: '<', threshold: 5 })).toBe(Number.POSITIVE_INFINITY);
  });

  it('a read error steps every tracked group with it; with no group the rule itself is in error', () => {
    const r = run([
      [T0, seen({ a: 9, b: 1 })],
      [T0 + 10 * S, { error: 'invalid input syntax' }],
    ]);
    expect(r.transitions).toEqual(['a:ok>firing', 'b:ok>error']);
    expect(r.tracked.get('a')!.state).toBe('firing'); // firing waits for the lateness, as a single rule does
    expect(r.last.summary).toEqual({ state: 'firing', error: 'invalid input syntax' });
    const none = evaluateGroups({ tracked: new Map(), seen: { error: 'boom' }, emptyValue: 0, timing, nowMs: T0 });
    expect(none).toEqual({ steps: [], truncated: 0, summary: { state: 'error', error: 'boom' } });
    expect(evaluateGroups({ tracked: new Map(), seen: seen({}), emptyValue: 0, timing, nowMs: T0 }).summary).toEqual({
      state: 'ok',
      error: null,
    });
  });

  it('under the cap, every group makes exactly the transitions of its own single-rule state machine (counts)', () => {
    const groups = ['a', 'b', 'c', 'd'];
    fc.assert(
      fc.property(
        fc.record({
          op: fc.constantFrom('>' as const, '>=' as const),
          threshold: fc.integer({ min: 1, max: 4 }),
          forMs: fc.constantFrom(0, 10 * S, 30 * S),
          cooldownMs: fc.constantFrom(0, 20 * S, 60 * S),
          allowedLatenessMs: fc.constantFrom(0, 10 * S, 20 * S),
        }),
        fc.array(
          fc.tuple(
            fc.integer({ min: 1, max: 30 }),
            fc.dictionary(fc.constantFrom(...groups), fc.integer({ min: 1, max: 6 })),
          ),
          { maxLength: 25 },
        ),
        (t, raw) => {
          let at = T0;
          const steps: [number, GroupValues][] = raw.map(([dt, v]) => [(at += dt * S), seen(v)]);
          const grouped = run(steps, t).detailed;
          // Reference: one independent machine per group, fed 0 whenever the group has no events.
          const reference: string[] = [];
          const states = new Map(groups.map((g) => [g, { ...INITIAL_STATE, sinceMs: T0 }]));
          for (const [nowMs, v] of steps) {
            for (const g of groups) {
              const r = nextState(states.get(g)!, { value: v.values.get(g) ?? 0 }, t, nowMs);
              states.set(g, r.state);
              const tr = r.transition;
              if (tr) reference.push(`${g}:${tr.from}>${tr.to}:${tr.notification}:${tr.silenced}`);
            }
          }
          // Same transitions per group, in the same order per group.
          for (const g of groups) {
            expect(grouped.filter((x) => x.startsWith(`${g}:`))).toEqual(
              reference.filter((x) => x.startsWith(`${g}:`)),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
