import { INITIAL_STATE, nextState, type AlertState, type Outcome, type Timing } from './alert-state';

const S = 1_000;
const timing: Timing = { op: '>', threshold: 10, forMs: 0, cooldownMs: 15 * 60 * S, allowedLatenessMs: 30 * S };

/** Runs evaluations [atMs, outcome] in order from `ok`; returns the transitions. */
function run(steps: [number, Outcome][], t: Timing = timing, start: AlertState = INITIAL_STATE) {
  let state = start;
  const out: { at: number; from: string; to: string; notification: string | null; silenced: boolean }[] = [];
  for (const [at, outcome] of steps) {
    const r = nextState(state, outcome, t, at);
    state = r.state;
    if (r.transition) out.push({ at, ...r.transition });
  }
  return { state, transitions: out };
}

describe('alert state machine', () => {
  it('fires as soon as the condition holds, once, and resolves only after the allowed lateness', () => {
    const { transitions } = run([
      [0, { value: 10 }],
      [1 * S, { value: 11 }],
      [2 * S, { value: 12 }], // still firing: no second notification
      [60 * S, { value: 3 }], // false: the resolve waits for late events
      [80 * S, { value: 4 }],
      [90 * S, { value: 4 }], // 30 s after it was first seen false
    ]);
    expect(transitions).toEqual([
      { at: 1 * S, from: 'ok', to: 'firing', notification: 'firing', silenced: false },
      { at: 90 * S, from: 'firing', to: 'ok', notification: 'resolved', silenced: false },
    ]);
  });

  it('a condition that holds again inside the lateness keeps firing without a resolve', () => {
    const { transitions, state } = run([
      [0, { value: 11 }],
      [10 * S, { value: 1 }],
      [20 * S, { value: 11 }],
      [45 * S, { value: 1 }],
      [70 * S, { value: 1 }],
    ]);
    expect(transitions.map((t) => t.to)).toEqual(['firing']);
    expect(state.clearSinceMs).toBe(45 * S);
  });

  it('waits `for` in pending, and drops back to ok without a notification when the condition stops', () => {
    const t = { ...timing, forMs: 60 * S };
    expect(
      run(
        [
          [0, { value: 11 }],
          [30 * S, { value: 2 }],
        ],
        t,
      ).transitions,
    ).toEqual([
      { at: 0, from: 'ok', to: 'pending', notification: null, silenced: false },
      { at: 30 * S, from: 'pending', to: 'ok', notification: null, silenced: false },
    ]);
    expect(
      run(
        [
          [0, { value: 11 }],
          [59 * S, { value: 11 }],
          [60 * S, { value: 11 }],
        ],
        t,
      ).transitions.map((x) => [x.at, x.to, x.notification]),
    ).toEqual([
      [0, 'pending', null],
      [60 * S, 'firing', 'firing'],
    ]);
  });

  it('cooldown silences only further firing notifications; resolves are always sent', () => {
    const t = { ...timing, allowedLatenessMs: 0, cooldownMs: 10 * 60 * S };
    const { transitions } = run(
      [
        [0, { value: 11 }],
        [60 * S, { value: 0 }],
        [120 * S, { value: 11 }], // inside the cooldown: fires silently
        [180 * S, { value: 0 }],
        [700 * S, { value: 11 }], // cooldown over: notifies again
      ],
      t,
    );
    expect(transitions.map((x) => [x.to, x.notification, x.silenced])).toEqual([
      ['firing', 'firing', false],
      ['ok', 'resolved', false],
      ['firing', null, true],
      ['ok', 'resolved', false],
      ['firing', 'firing', false],
    ]);
  });

  it('an undefined value is no_data; an error is error; a firing rule leaves either only after the lateness', () => {
    expect(run([[0, { value: null }]]).transitions.map((x) => x.to)).toEqual(['no_data']);
    expect(run([[0, { error: 'bad cast' }]]).state).toMatchObject({ state: 'error', error: 'bad cast' });
    const { transitions } = run([
      [0, { value: 20 }],
      [10 * S, { value: null }],
      [40 * S, { value: null }],
    ]);
    expect(transitions.map((x) => [x.from, x.to, x.notification])).toEqual([
      ['ok', 'firing', 'firing'],
      ['firing', 'no_data', 'resolved'],
    ]);
  });

  it('absence rules fire on an empty window', () => {
    const t: Timing = { ...timing, op: '<', threshold: 1 };
    expect(run([[0, { value: 0 }]], t).transitions.map((x) => [x.to, x.notification])).toEqual([['firing', 'firing']]);
    expect(run([[0, { value: 1 }]], t).transitions).toEqual([]);
  });
});
