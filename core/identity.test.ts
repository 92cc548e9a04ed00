import { applyIdentitySteps, identityEffect, identitySteps, type IdState } from './identity';

const ev = (over: Partial<Parameters<typeof identityEffect>[0]>) => ({
  eventId: 'e1',
  eventType: 'view',
  timestampMs: 0,
  userId: 'u',
  anonymousId: null,
  properties: {},
  ...over,
});

describe('identity effects', () => {
  it('a user id identifies; an anonymous id alone does not; both merge the anonymous id into the user', () => {
    expect(identityEffect(ev({}))).toMatchObject({ distinctId: 'u', identifies: true, merges: [] });
    expect(identityEffect(ev({ userId: 'a', anonymousId: 'a' }))).toMatchObject({ identifies: false, merges: [] });
    expect(identityEffect(ev({ anonymousId: 'a' })).merges).toEqual([
      { eventId: 'e1', timestampMs: 0, from: 'a', into: 'u' },
    ]);
  });
  it('an alias merges previous_id (ours) or previousId (Segment) into the user id', () => {
    expect(identityEffect(ev({ eventType: '$alias', properties: { previous_id: 'p' } })).merges[0]).toMatchObject({
      from: 'p',
      into: 'u',
    });
    expect(identityEffect(ev({ eventType: '$alias', properties: { previousId: 'p' } })).merges[0]).toMatchObject({
      from: 'p',
      into: 'u',
    });
    expect(identityEffect(ev({ eventType: '$alias', properties: { previousId: 'u' } })).merges).toEqual([]);
  });
});

describe('merge rules', () => {
  const apply = (state: [string, IdState][], steps: Parameters<typeof applyIdentitySteps>[1]) =>
    applyIdentitySteps(new Map(state), steps);
  const merge = (from: string, into: string) => ({
    kind: 'merge' as const,
    merge: { eventId: 'e', timestampMs: 0, from, into },
  });

  it('chains: a→b then b→c is one person; re-applying is already_merged', () => {
    const r = apply([], [merge('a', 'b'), merge('b', 'c'), merge('a', 'c')]);
    expect(r.log.map((l) => l.outcome)).toEqual(['merged', 'merged', 'already_merged']);
    expect(new Set([...r.state.values()].map((s) => s.personId))).toEqual(new Set(['c']));
    expect(r.absorbed).toEqual(
      new Map([
        ['b', 'c'],
        ['a', 'c'],
      ]),
    );
  });
  it('refuses joining two identified persons; an identified person absorbing an anonymous one survives', () => {
    const r = apply(
      [],
      [
        { kind: 'identify', id: 'u1' },
        { kind: 'identify', id: 'u2' },
        merge('a', 'u1'),
        merge('a', 'u2'),
        merge('u1', 'x'),
      ],
    );
    expect(r.log.map((l) => l.outcome)).toEqual(['merged', 'refused', 'merged']);
    expect(r.log[1]!.reason).toContain('identified');
    // u1's person (identified) absorbs x's (anonymous), even though x was the target.
    expect(r.state.get('x')!.personId).toBe('u1');
    expect(r.state.get('a')!.personId).toBe('u1');
  });
  it("orders a batch by timestamp, then event id; identification before the event's merges", () => {
    const steps = identitySteps([
      ev({ eventId: 'b', timestampMs: 2, anonymousId: 'a' }),
      ev({ eventId: 'a', timestampMs: 2, userId: 'v' }),
      ev({ eventId: 'z', timestampMs: 1, userId: 'w' }),
    ]);
    expect(steps).toEqual([
      { kind: 'identify', id: 'w' },
      { kind: 'identify', id: 'v' },
      { kind: 'identify', id: 'u' },
      { kind: 'merge', merge: { eventId: 'b', timestampMs: 2, from: 'a', into: 'u' } },
    ]);
  });
});
