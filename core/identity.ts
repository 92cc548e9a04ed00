// Identity: which ids an event names, the merges it asks for, and the person-merge rules
// (docs/architecture.md#people-and-identity). Pure: the adapter loads the affected ids, applies the steps here and
// writes the result back.

/** The fields of an event that identity reads (a RawEvent has them all). */
export interface IdentityInput {
  eventId: string;
  eventType: string;
  timestampMs: number;
  /** The event's distinct id: the user id if one was sent, else the anonymous id. */
  userId: string | null;
  anonymousId?: string | null;
  properties: Record<string, unknown>;
}

export interface MergeRequest {
  eventId: string;
  timestampMs: number;
  /** The id whose person is merged… */
  from: string;
  /** …into the person of this id. */
  into: string;
}

/** What one event asks of identity. */
export interface IdentityEffect {
  /** The event's distinct id (counted: event_count, first/last seen); null for an event without one. */
  distinctId: string | null;
  /** True when the event named its distinct id as a user id (an anonymous id alone does not identify). */
  identifies: boolean;
  /** Other ids the event names (anonymous id, alias previous id): seen, not counted. */
  alsoSeen: string[];
  /** Merges in the order they apply: the anonymous id into the user, then an alias's previous id into the user. */
  merges: MergeRequest[];
  /** `$identify`: its properties are traits of the person of the distinct id. */
  setsTraits: boolean;
}

/** The id an alias merges into its user id: properties.previous_id (POST /v1/events) or previousId (Segment). */
export function aliasPreviousId(e: IdentityInput): string | null {
  if (e.eventType !== '$alias') return null;
  const p = e.properties.previous_id ?? e.properties.previousId;
  return typeof p === 'string' && p !== '' ? p : null;
}

export function identityEffect(e: IdentityInput): IdentityEffect {
  const d = e.userId;
  if (d === null) return { distinctId: null, identifies: false, alsoSeen: [], merges: [], setsTraits: false };
  const anon = e.anonymousId ?? null;
  const identifies = anon !== d;
  const merges: MergeRequest[] = [];
  const alsoSeen: string[] = [];
  const mergeInto = (from: string) => {
    if (from === d) return;
    merges.push({ eventId: e.eventId, timestampMs: e.timestampMs, from, into: d });
    if (!alsoSeen.includes(from)) alsoSeen.push(from);
  };
  if (anon !== null) mergeInto(anon);
  const previous = aliasPreviousId(e);
  if (previous !== null) mergeInto(previous);
  return { distinctId: d, identifies, alsoSeen, merges, setsTraits: e.eventType === '$identify' };
}

/** An id as the merge rules see it. */
export interface IdState {
  personId: string;
  identified: boolean;
}

export type MergeOutcome = 'merged' | 'already_merged' | 'refused';

export interface MergeLogEntry extends MergeRequest {
  outcome: MergeOutcome;
  reason: string | null;
}

/** One step of a batch, in order: an event identifies its id, or asks for a merge. */
export type IdentityStep = { kind: 'identify'; id: string } | { kind: 'merge'; merge: MergeRequest };

/** The steps of a batch's events: ordered by (timestamp, event id); per event its identification, then its merges. */
export function identitySteps(events: readonly IdentityInput[]): IdentityStep[] {
  const sorted = [...events].sort((a, b) =>
    a.timestampMs !== b.timestampMs
      ? a.timestampMs - b.timestampMs
      : a.eventId < b.eventId
        ? -1
        : a.eventId > b.eventId
          ? 1
          : 0,
  );
  const steps: IdentityStep[] = [];
  for (const e of sorted) {
    const fx = identityEffect(e);
    if (fx.distinctId !== null && fx.identifies) steps.push({ kind: 'identify', id: fx.distinctId });
    for (const merge of fx.merges) steps.push({ kind: 'merge', merge });
  }
  return steps;
}

/**
 * Applies steps to the ids' states (which must hold every id of every person the steps touch; an id not in the
 * map is new: its own person, not identified). The rules (PostHog's person merges):
 * - merging two ids of one person is `already_merged` (idempotent);
 * - a person is identified when any of its ids is; merging two persons that are both identified is `refused`
 *   (two known users are never joined) and changes nothing;
 * - otherwise the persons become one: the identified one survives (keeps its person id), else the person of
 *   `into`; every id of the absorbed person moves to the survivor. Chains follow: a→b then b→c is one person.
 * Returns the new states (the same map, updated), the log in order, and each absorbed person id → its survivor.
 */
export function applyIdentitySteps(
  state: Map<string, IdState>,
  steps: readonly IdentityStep[],
): { state: Map<string, IdState>; log: MergeLogEntry[]; absorbed: Map<string, string> } {
  const members = new Map<string, Set<string>>();
  for (const [id, s] of state) {
    let m = members.get(s.personId);
    if (!m) members.set(s.personId, (m = new Set()));
    m.add(id);
  }
  const ensure = (id: string): IdState => {
    let s = state.get(id);
    if (!s) {
      state.set(id, (s = { personId: id, identified: false }));
      let m = members.get(id);
      if (!m) members.set(id, (m = new Set()));
      m.add(id);
    }
    return s;
  };
  const personIdentified = (personId: string) => {
    for (const id of members.get(personId) ?? []) if (state.get(id)!.identified) return true;
    return false;
  };
  const log: MergeLogEntry[] = [];
  const absorbed = new Map<string, string>();
  for (const step of steps) {
    if (step.kind === 'identify') {
      ensure(step.id).identified = true;
      continue;
    }
    const m = step.merge;
    const pf = ensure(m.from).personId;
    const pi = ensure(m.into).personId;
    if (pf === pi) {
      log.push({ ...m, outcome: 'already_merged', reason: null });
      continue;
    }
    const idf = personIdentified(pf);
    const idi = personIdentified(pi);
    if (idf && idi) {
      log.push({
        ...m,
        outcome: 'refused',
        reason: 'both ids belong to identified persons; two known users are never merged',
      });
      continue;
    }
    const [survivor, gone] = idf && !idi ? [pf, pi] : [pi, pf];
    const moved = members.get(gone)!;
    const into = members.get(survivor)!;
    for (const id of moved) {
      state.get(id)!.personId = survivor;
      into.add(id);
    }
    members.delete(gone);
    for (const [a, s] of absorbed) if (s === gone) absorbed.set(a, survivor);
    absorbed.set(gone, survivor);
    log.push({ ...m, outcome: 'merged', reason: null });
  }
  return { state, log, absorbed };
}

/** Every id the steps name (the adapter loads these ids' persons before applying them). */
export function stepIds(steps: readonly IdentityStep[]): string[] {
  const ids = new Set<string>();
  for (const s of steps) {
    if (s.kind === 'identify') ids.add(s.id);
    else {
      ids.add(s.merge.from);
      ids.add(s.merge.into);
    }
  }
  return [...ids];
}

/** Per distinct id, what a batch's fresh events add: events counted, first/last seen, identified. */
export interface IdDelta {
  count: number;
  firstMs: number;
  lastMs: number;
  identified: boolean;
}

/** The counts of a batch's fresh events per distinct id (ids only named by a merge are seen, with count 0). */
export function idDeltas(events: readonly IdentityInput[]): Map<string, IdDelta> {
  const out = new Map<string, IdDelta>();
  const touch = (id: string, ts: number, count: number, identified: boolean) => {
    const d = out.get(id);
    if (!d) out.set(id, { count, firstMs: ts, lastMs: ts, identified });
    else {
      d.count += count;
      d.firstMs = Math.min(d.firstMs, ts);
      d.lastMs = Math.max(d.lastMs, ts);
      d.identified ||= identified;
    }
  };
  for (const e of events) {
    const fx = identityEffect(e);
    if (fx.distinctId === null) continue;
    touch(fx.distinctId, e.timestampMs, 1, fx.identifies);
    for (const id of fx.alsoSeen) touch(id, e.timestampMs, 0, false);
  }
  return out;
}

/** True when the events need the project's identity lock: they merge or set traits. */
export function needsIdentityLock(events: readonly IdentityInput[]): boolean {
  return events.some((e) => {
    const fx = identityEffect(e);
    return fx.merges.length > 0 || fx.setsTraits;
  });
}
