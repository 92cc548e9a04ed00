// People writes against the in-memory reference (test/people-reference.ts): generated histories with merges
// (chains, identified-vs-identified refusals, aliases, traits), re-delivered in shuffled batches, one after
// another (the reference must match person for person, outcome for outcome) and concurrently (counts exact,
// every merge logged once, and the persons those logged outcomes give).
import fc from 'fast-check';
import { useTestEnv } from '../../test/harness';
import { rawEvent } from '../../test/builders';
import { PeopleReference } from '../../test/people-reference';
import { planCountDeltas } from '../../core/rollups';
import type { RawEvent } from '../../core/raw-event';
import type { TestTenant } from '../../test/harness';

jest.setTimeout(300_000);

const { env, tenants } = useTestEnv('people-store', { tenants: 2, topics: false });

const T0 = Date.now() - 6 * 3_600_000;
const ANON = ['a0', 'a1', 'a2', 'a3'];
const USERS = ['u0', 'u1', 'u2', 'u3'];
const ID = [...ANON, ...USERS, 'é', '😀'];

type Spec =
  | { kind: 'anon'; a: string }
  | { kind: 'user'; u: string }
  | { kind: 'both'; u: string; a: string }
  | { kind: 'alias'; u: string; prev: string; segment: boolean }
  | { kind: 'identify'; u: string | null; a: string | null; traits: Record<string, unknown> };

const spec: fc.Arbitrary<Spec> = fc.oneof(
  fc.record({ kind: fc.constant('anon' as const), a: fc.constantFrom(...ANON) }),
  fc.record({ kind: fc.constant('user' as const), u: fc.constantFrom(...ID) }),
  fc.record({ kind: fc.constant('both' as const), u: fc.constantFrom(...ID), a: fc.constantFrom(...ANON) }),
  fc.record({
    kind: fc.constant('alias' as const),
    u: fc.constantFrom(...ID),
    prev: fc.constantFrom(...ID),
    segment: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('identify' as const),
    u: fc.option(fc.constantFrom(...ID)),
    a: fc.option(fc.constantFrom(...ANON)),
    traits: fc.dictionary(fc.constantFrom('plan', 'email', 'n'), fc.oneof(fc.string({ maxLength: 3 }), fc.integer())),
  }),
);

let run = 0;
function toEvents(t: TestTenant, specs: { s: Spec; dt: number }[]): RawEvent[] {
  run++;
  return specs.map(({ s, dt }, i) => {
    const base = {
      eventId: `r${String(run).padStart(4, '0')}-e${String(i).padStart(3, '0')}`,
      timestampMs: T0 + dt * 1000,
      properties: {} as Record<string, unknown>,
      anonymousId: null as string | null,
    };
    switch (s.kind) {
      case 'anon':
        return rawEvent(t, { ...base, eventType: 'view', userId: s.a, anonymousId: s.a });
      case 'user':
        return rawEvent(t, { ...base, eventType: 'view', userId: s.u });
      case 'both':
        return rawEvent(t, { ...base, eventType: 'view', userId: s.u, anonymousId: s.a });
      case 'alias':
        return rawEvent(t, {
          ...base,
          eventType: '$alias',
          userId: s.u,
          properties: s.segment ? { previousId: s.prev } : { previous_id: s.prev },
        });
      case 'identify':
        return rawEvent(t, {
          ...base,
          eventType: '$identify',
          // No user id: an anonymous identify (its id is the anonymous id).
          userId: s.u ?? s.a ?? 'a0',
          anonymousId: s.u === null ? (s.a ?? 'a0') : s.a,
          properties: s.traits,
        });
    }
  });
}

const history = fc.array(fc.record({ s: spec, dt: fc.integer({ min: 0, max: 20 }) }), { minLength: 1, maxLength: 30 });

/** Batches of the events with some re-delivered (copies in other batches), in a shuffled order. */
const batching = (n: number) =>
  fc.record({
    cuts: fc.array(fc.integer({ min: 0, max: n }), { maxLength: 5 }),
    redeliver: fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 6 }),
    order: fc.array(fc.integer(), { minLength: 12, maxLength: 12 }),
  });

function makeBatches(events: RawEvent[], b: { cuts: number[]; redeliver: number[]; order: number[] }): RawEvent[][] {
  const cuts = [...new Set([0, ...b.cuts, events.length])].sort((x, y) => x - y);
  const batches: RawEvent[][] = [];
  for (let i = 1; i < cuts.length; i++) batches.push(events.slice(cuts[i - 1], cuts[i]));
  for (const [j, i] of b.redeliver.entries()) batches[(i + j) % batches.length]!.push({ ...events[i]! });
  const keyed = batches.map((x, i) => ({ x, k: b.order[i % b.order.length]! + i }));
  keyed.sort((p, q) => p.k - q.k);
  return keyed.map((p) => p.x).filter((x) => x.length > 0);
}

async function write(events: RawEvent[]): Promise<void> {
  await env.adapters.partitions.ensureFor(events.map((e) => e.timestampMs));
  await env.adapters.aggregateStore.writeBatch(events, (fresh, b) => planCountDeltas(fresh, undefined, b));
}

async function reset(t: TestTenant): Promise<void> {
  const sql = env.adapters.sql;
  await sql`delete from events where tenant_id = ${t.id}`;
  await sql`delete from distinct_ids where tenant_id = ${t.id}`;
  await sql`delete from persons where tenant_id = ${t.id}`;
  await sql`delete from identity_merges where tenant_id = ${t.id}`;
}

interface Stored {
  ids: Map<string, { person: string; identified: boolean; count: number; first: number; last: number }>;
  merges: { eventId: string; from: string; into: string; outcome: string }[];
  traits: Map<string, Record<string, unknown>>;
}

async function stored(t: TestTenant): Promise<Stored> {
  const sql = env.adapters.sql;
  const rows = await sql<
    { id: string; person: string; identified: boolean; count: string; first: Date; last: Date }[]
  >`select distinct_id as id, person_id as person, identified, event_count::text as count, first_seen as first, last_seen as last
    from distinct_ids where tenant_id = ${t.id} and project_id = ${t.project.id}`;
  const merges = await sql<{ eventId: string; from: string; into: string; outcome: string }[]>`
    select event_id as "eventId", from_id as "from", into_id as "into", outcome
    from identity_merges where tenant_id = ${t.id} and project_id = ${t.project.id} order by seq`;
  const persons = await sql<{ person: string; traits: Record<string, unknown> }[]>`
    select person_id as person, traits from persons where tenant_id = ${t.id} and project_id = ${t.project.id}`;
  return {
    ids: new Map(
      rows.map((r) => [
        r.id,
        {
          person: r.person,
          identified: r.identified,
          count: Number(r.count),
          first: r.first.getTime(),
          last: r.last.getTime(),
        },
      ]),
    ),
    merges: [...merges],
    traits: new Map(persons.map((p) => [p.person, p.traits])),
  };
}

function expectCounts(got: Stored, ref: PeopleReference): void {
  expect([...got.ids.keys()].sort()).toEqual([...ref.ids.keys()].sort());
  for (const [id, r] of ref.ids) {
    const g = got.ids.get(id)!;
    expect({ id, count: g.count, first: g.first, last: g.last, identified: g.identified }).toEqual({
      id,
      count: r.count,
      first: r.firstMs,
      last: r.lastMs,
      identified: r.identified,
    });
  }
}

describe('people writes', () => {
  it('batches one after another equal the reference: persons, person ids, outcomes, counts and traits', async () => {
    const [t] = tenants;
    await fc.assert(
      fc.asyncProperty(
        history.chain((h) => fc.tuple(fc.constant(h), batching(h.length))),
        async ([h, b]) => {
          await reset(t);
          const events = toEvents(t, h);
          const ref = new PeopleReference();
          for (const batch of makeBatches(events, b)) {
            await write(batch);
            ref.applyBatch(batch);
          }
          const got = await stored(t);
          expectCounts(got, ref);
          for (const [id] of ref.ids)
            expect({ id, person: got.ids.get(id)!.person }).toEqual({ id, person: ref.find(id) });
          expect(got.merges).toEqual(ref.merges);
          for (const [person] of ref.persons()) {
            const want = ref.traits(person);
            expect({ person, traits: got.traits.get(person) ?? {} }).toEqual({ person, traits: want });
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it('concurrent batches: exact counts, every merge logged once, persons as the logged outcomes give', async () => {
    const [, t] = tenants;
    await fc.assert(
      fc.asyncProperty(
        history.chain((h) => fc.tuple(fc.constant(h), batching(h.length))),
        async ([h, b]) => {
          await reset(t);
          const events = toEvents(t, h);
          await Promise.all(makeBatches(events, b).map((batch) => write(batch)));
          const got = await stored(t);
          // Counts do not depend on the order: every fresh event once.
          const counts = new PeopleReference();
          for (const e of events) counts.applyEvent(e, { merges: false });
          expectCounts(got, counts);
          // Each merge an event asks for is logged exactly once.
          const asked = counts.events.flatMap((e) => {
            const out: string[] = [];
            const anon = e.anonymousId ?? null;
            if (anon !== null && anon !== e.userId) out.push(`${e.eventId} ${anon}>${e.userId}`);
            const prev = e.properties.previous_id ?? e.properties.previousId;
            if (e.eventType === '$alias' && typeof prev === 'string' && prev !== e.userId)
              out.push(`${e.eventId} ${prev}>${e.userId}`);
            return out;
          });
          expect(got.merges.map((m) => `${m.eventId} ${m.from}>${m.into}`).sort()).toEqual(asked.sort());
          // Replaying the log in its order: already_merged exactly when the ids were one person; the persons equal.
          const replay = new PeopleReference();
          for (const id of counts.ids.keys())
            replay.applyEvent(rawEvent(t, { userId: id, anonymousId: id }), { merges: false });
          for (const m of got.merges) {
            const same = replay.find(m.from) === replay.find(m.into);
            expect({ m, same }).toEqual({ m, same: m.outcome === 'already_merged' });
            if (m.outcome === 'refused') {
              const identified = (p: string) => [...got.ids].some(([id, r]) => r.identified && replay.find(id) === p);
              expect({ m, both: identified(replay.find(m.from)) && identified(replay.find(m.into)) }).toEqual({
                m,
                both: true,
              });
            }
            if (m.outcome === 'merged') {
              const [a, b2] = [replay.find(m.from), replay.find(m.into)];
              replay.ids.get(a)!.parent = b2;
            }
          }
          const groups = (pairs: [string, string][]) => {
            const by = new Map<string, string[]>();
            for (const [id, p] of pairs) by.set(p, [...(by.get(p) ?? []), id].sort());
            return [...by.values()].map((g) => g.join(',')).sort();
          };
          expect(groups([...got.ids].map(([id, r]) => [id, r.person]))).toEqual(
            groups([...counts.ids.keys()].map((id) => [id, replay.find(id)])),
          );
          // Every id of a person carries a person id that is one of its ids.
          for (const [id, r] of got.ids)
            expect({ id, ok: got.ids.get(r.person)?.person === r.person }).toEqual({ id, ok: true });
        },
      ),
      { numRuns: 25 },
    );
  });

  it('rebuild recomputes people from the raw events in timestamp order, whatever order they arrived in', async () => {
    const [t] = tenants;
    await fc.assert(
      fc.asyncProperty(
        history.chain((h) => fc.tuple(fc.constant(h), batching(h.length), fc.integer({ min: 1, max: 8 }))),
        async ([h, b, chunk]) => {
          await reset(t);
          const events = toEvents(t, h);
          for (const batch of makeBatches(events, b)) await write(batch);
          await env.adapters.rebuildStore.rebuildPeople({ tenantId: t.id, chunk });
          const ref = new PeopleReference();
          ref.applyBatch(events);
          const got = await stored(t);
          expectCounts(got, ref);
          for (const [id] of ref.ids)
            expect({ id, person: got.ids.get(id)!.person }).toEqual({ id, person: ref.find(id) });
          expect(got.merges).toEqual(ref.merges);
          for (const [person] of ref.persons())
            expect({ person, traits: got.traits.get(person) ?? {} }).toEqual({ person, traits: ref.traits(person) });
        },
      ),
      { numRuns: 15 },
    );
  });
});
