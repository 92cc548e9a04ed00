// A simple in-memory reference of people (docs/architecture.md#people-and-identity), written independently of
// core/identity.ts: a union-find over ids with the same merge rules, exact counts, and traits as the newest
// `$identify` value per key. Batches are applied one after another; within a batch, fresh events in (timestamp,
// event id) order, each event's identification before its merges.
import type { RawEvent } from '../core/raw-event';

export interface RefId {
  parent: string;
  identified: boolean;
  count: number;
  firstMs: number;
  lastMs: number;
}

export interface RefMerge {
  eventId: string;
  from: string;
  into: string;
  outcome: 'merged' | 'already_merged' | 'refused';
}

export class PeopleReference {
  readonly ids = new Map<string, RefId>();
  readonly merges: RefMerge[] = [];
  readonly events: RawEvent[] = [];
  private readonly seen = new Set<string>();

  /** The representative of the id's set; the representative's id is the person id. */
  find(id: string): string {
    let x = id;
    while (this.ids.get(x)!.parent !== x) x = this.ids.get(x)!.parent;
    return x;
  }

  private see(id: string, ms: number, count: number): RefId {
    let r = this.ids.get(id);
    if (!r) this.ids.set(id, (r = { parent: id, identified: false, count: 0, firstMs: ms, lastMs: ms }));
    r.count += count;
    r.firstMs = Math.min(r.firstMs, ms);
    r.lastMs = Math.max(r.lastMs, ms);
    return r;
  }

  private setIdentified(personId: string): boolean {
    for (const [id, r] of this.ids) if (r.identified && this.find(id) === personId) return true;
    return false;
  }

  /** A merge as the rules say; `apply: false` only checks (used to audit a concurrent run's log). */
  merge(eventId: string, from: string, into: string): RefMerge['outcome'] {
    const pf = this.find(from);
    const pi = this.find(into);
    let outcome: RefMerge['outcome'];
    if (pf === pi) outcome = 'already_merged';
    else {
      const idf = this.setIdentified(pf);
      const idi = this.setIdentified(pi);
      if (idf && idi) outcome = 'refused';
      else {
        const [survivor, gone] = idf && !idi ? [pf, pi] : [pi, pf];
        this.ids.get(gone)!.parent = survivor;
        outcome = 'merged';
      }
    }
    this.merges.push({ eventId, from, into, outcome });
    return outcome;
  }

  applyBatch(batch: RawEvent[]): void {
    const fresh: RawEvent[] = [];
    for (const e of batch) {
      const k = e.tenantId + '\u0000' + e.eventId;
      if (this.seen.has(k)) continue;
      this.seen.add(k);
      fresh.push(e);
    }
    fresh.sort((a, b) => a.timestampMs - b.timestampMs || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
    for (const e of fresh) this.applyEvent(e);
  }

  /** One event: its counts, its identification, then its merges (anonymous id, then alias previous id). */
  applyEvent(e: RawEvent, opts: { merges?: boolean } = {}): void {
    this.events.push(e);
    if (e.userId === null) return;
    const u = e.userId;
    const r = this.see(u, e.timestampMs, 1);
    const anon = e.anonymousId ?? null;
    if (anon !== u) r.identified = true;
    const from: string[] = [];
    if (anon !== null && anon !== u) from.push(anon);
    const prev = e.eventType === '$alias' ? (e.properties.previous_id ?? e.properties.previousId) : undefined;
    if (typeof prev === 'string' && prev !== '' && prev !== u) from.push(prev);
    for (const f of from) {
      this.see(f, e.timestampMs, 0);
      if (opts.merges !== false) this.merge(e.eventId, f, u);
    }
  }

  /** person id → its ids, sorted. */
  persons(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const id of [...this.ids.keys()].sort()) {
      const p = this.find(id);
      out.set(p, [...(out.get(p) ?? []), id]);
    }
    return out;
  }

  /** The person's traits: per key, the value of its ids' newest `$identify` (timestamp, then event id). */
  traits(personId: string): Record<string, unknown> {
    const best = new Map<string, { ms: number; id: string; v: unknown }>();
    for (const e of this.events) {
      if (e.eventType !== '$identify' || e.userId === null || this.find(e.userId) !== personId) continue;
      for (const [k, v] of Object.entries(e.properties)) {
        const b = best.get(k);
        if (!b || e.timestampMs > b.ms || (e.timestampMs === b.ms && e.eventId > b.id))
          best.set(k, { ms: e.timestampMs, id: e.eventId, v });
      }
    }
    return Object.fromEntries([...best].map(([k, b]) => [k, b.v]));
  }
}
