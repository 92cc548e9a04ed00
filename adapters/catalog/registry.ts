// The event catalog of one process: a short-lived cache of each project's catalog for ingest's checks, and a
// buffer of what accepted and rejected events add to it, written with a few batched upserts at most about
// once per flush interval — never a query per event.
//
// Across processes the caps are approximate: a process counts what Postgres held at its last refresh plus
// what it registered itself, so N processes registering new types at the same moment can pass a cap by up
// to N-1 times what each registers between refreshes. The catalog's purpose (keeping it from growing without
// bound) holds; exactness would cost a round trip per new name.
import {
  emptyChanges,
  emptySnapshot,
  maskToTypes,
  mergeChanges,
  typesToMask,
  type CatalogChanges,
  type CatalogSnapshot,
  type PropertyChange,
  type TypeChange,
} from '../../core/catalog';
import type { CatalogLoad, CatalogWrite } from '../postgres/catalog-store';
import { classifyFailure } from '../../core/failure-kind';
import { logger } from '../logger';

export interface CatalogStore {
  load(tenantId: string, projectId: string, since: Date | null): Promise<CatalogLoad | undefined>;
  write(w: CatalogWrite): Promise<void>;
}

export interface CatalogRegistry {
  /** The project's catalog as this process knows it: cached, refreshed after the TTL or an invalidation. */
  snapshot(tenantId: string, projectId: string): Promise<CatalogSnapshot>;
  /** Takes one request's changes (after its events were acknowledged): into the cache at once, into Postgres at the next flush. */
  record(tenantId: string, projectId: string, changes: CatalogChanges): void;
  /** Makes the next snapshot() re-read the project (after a declaration or a schema mode change). */
  invalidate(tenantId: string, projectId: string): void;
  /** Flushes when something is buffered and the last flush is at least one interval ago. Never throws. */
  flushIfDue(): Promise<void>;
  /** Flushes whatever is buffered (shutdown). Never throws. */
  flush(): Promise<void>;
}

export interface RegistryOptions {
  cacheTtlMs: number;
  flushIntervalMs: number;
  now?: () => number;
}

/** Rows changed this long before the previous refresh are read again: covers transactions still open then. */
const REFRESH_OVERLAP_MS = 30_000;
/** A property's last_seen is written at most this often per process (a type's on every flush). */
const PROPERTY_LAST_SEEN_EVERY_MS = 60_000;
const RETRY_FAILED_REFRESH_MS = 1_000;
const MAX_CACHED_PROJECTS = 10_000;

interface CacheEntry {
  snapshot?: CatalogSnapshot;
  freshUntil: number;
  since: Date | null;
  loading?: Promise<CatalogSnapshot>;
}

interface Pending {
  tenantId: string;
  projectId: string;
  changes: CatalogChanges;
}

/** Applies what Postgres says changed. Additive: this process's unflushed registrations stay in the snapshot. */
function applyLoad(s: CatalogSnapshot, load: CatalogLoad): void {
  s.mode = load.mode;
  const typeOf = (eventType: string) => {
    let t = s.types.get(eventType);
    if (!t) s.types.set(eventType, (t = { declared: false, status: 'active', properties: new Map() }));
    return t;
  };
  for (const row of load.types) {
    const t = typeOf(row.eventType);
    t.declared = row.declared;
    t.status = row.status;
  }
  for (const row of load.properties) {
    const t = typeOf(row.eventType);
    const p = t.properties.get(row.property);
    const observed = typesToMask(row.observed);
    if (!p) t.properties.set(row.property, { observed, declared: row.declared, lastSeenMs: row.lastSeenMs });
    else {
      p.observed |= observed;
      p.declared = row.declared;
      p.lastSeenMs = Math.max(p.lastSeenMs ?? 0, row.lastSeenMs ?? 0) || null;
    }
  }
  for (const eventType of load.violationTypes) s.violationTypes.add(eventType);
}

/**
 * Folds changes into the cached snapshot and returns what must be written: everything new, every type's
 * last_seen, and a property's last_seen only when this process has not written it for a while.
 */
function applyChanges(s: CatalogSnapshot | undefined, changes: CatalogChanges): CatalogChanges {
  const toWrite = emptyChanges();
  for (const [eventType, t] of changes.types) {
    let known = s?.types.get(eventType);
    if (s && !known) s.types.set(eventType, (known = { declared: false, status: 'active', properties: new Map() }));
    const props = new Map<string, PropertyChange>();
    for (const [name, p] of t.properties) {
      const kp = known?.properties.get(name);
      const stale = (kp?.lastSeenMs ?? -Infinity) + PROPERTY_LAST_SEEN_EVERY_MS <= p.lastSeenMs;
      if (!kp || p.isNew || p.newTypes !== 0 || stale) props.set(name, p);
      if (!known) continue;
      if (!kp) known.properties.set(name, { observed: p.newTypes, declared: null, lastSeenMs: p.lastSeenMs });
      else {
        kp.observed |= p.newTypes;
        if (stale) kp.lastSeenMs = p.lastSeenMs;
      }
    }
    const change: TypeChange = {
      ...t,
      newProperties: [...props.values()].filter((p) => p.isNew).length,
      properties: props,
    };
    toWrite.types.set(eventType, change);
  }
  for (const [key, v] of changes.violations) {
    s?.violationTypes.add(v.eventType);
    toWrite.violations.set(key, v);
  }
  return toWrite;
}

function toWrite(pending: Iterable<Pending>): CatalogWrite {
  const w: CatalogWrite = { types: [], properties: [], violations: [] };
  const iso = (ms: number) => new Date(ms).toISOString();
  for (const { tenantId: t, projectId: p, changes } of pending) {
    for (const [y, type] of changes.types) {
      w.types.push({ t, p, y, f: iso(type.firstSeenMs), l: iso(type.lastSeenMs) });
      for (const [n, prop] of type.properties)
        w.properties.push({
          t,
          p,
          y,
          n,
          o: maskToTypes(prop.newTypes),
          f: iso(prop.firstSeenMs),
          l: iso(prop.lastSeenMs),
        });
    }
    for (const v of changes.violations.values()) {
      w.violations.push({
        t,
        p,
        y: v.eventType,
        r: v.reason,
        c: v.count,
        f: iso(v.firstSeenMs),
        l: iso(v.lastSeenMs),
        s: v.samples,
      });
    }
  }
  return w;
}

export function createCatalogRegistry(store: CatalogStore, opts: RegistryOptions): CatalogRegistry {
  const now = opts.now ?? Date.now;
  const cache = new Map<string, CacheEntry>();
  let pending = new Map<string, Pending>();
  let lastFlushMs = -Infinity;
  let flushing: Promise<void> | undefined;

  async function refresh(tenantId: string, projectId: string, entry: CacheEntry): Promise<CatalogSnapshot> {
    try {
      const load = await store.load(tenantId, projectId, entry.since);
      entry.snapshot ??= emptySnapshot(load?.mode ?? 'open');
      if (load) {
        applyLoad(entry.snapshot, load);
        entry.since = new Date(load.at.getTime() - REFRESH_OVERLAP_MS);
      }
      entry.freshUntil = now() + opts.cacheTtlMs;
      return entry.snapshot;
    } catch (e) {
      if (!entry.snapshot) throw e;
      // A catalog a few seconds old is better than refusing events while Postgres is away.
      logger.warn('could not refresh the event catalog; using the cached one', {
        error: e as Error,
        project_id: projectId,
      });
      entry.freshUntil = now() + Math.min(opts.cacheTtlMs, RETRY_FAILED_REFRESH_MS);
      return entry.snapshot;
    }
  }

  async function write(batch: Map<string, Pending>): Promise<void> {
    try {
      await store.write(toWrite(batch.values()));
    } catch (e) {
      // Postgres refused a value of the rows (data exception, constraint, program limit): retrying cannot help.
      if (classifyFailure(e) === 'data') {
        logger.error('dropped a catalog flush that Postgres refuses', { error: e as Error, projects: batch.size });
        return;
      }
      logger.warn('could not write the event catalog; keeping the changes for the next flush', { error: e as Error });
      for (const [key, p] of batch) {
        const cur = pending.get(key);
        if (cur) mergeChanges(cur.changes, p.changes);
        else pending.set(key, p);
      }
    }
  }

  async function flush(): Promise<void> {
    while (flushing) await flushing;
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    lastFlushMs = now();
    flushing = write(batch);
    try {
      await flushing;
    } finally {
      flushing = undefined;
    }
  }

  return {
    snapshot(tenantId, projectId) {
      const key = `${tenantId}:${projectId}`;
      let entry = cache.get(key);
      if (entry?.snapshot && entry.freshUntil > now()) return Promise.resolve(entry.snapshot);
      if (entry?.loading) return entry.loading;
      if (!entry) {
        if (cache.size >= MAX_CACHED_PROJECTS) cache.clear();
        entry = { freshUntil: 0, since: null };
        cache.set(key, entry);
      }
      const e = entry;
      e.loading = refresh(tenantId, projectId, e).finally(() => {
        e.loading = undefined;
      });
      return e.loading;
    },
    record(tenantId, projectId, changes) {
      if (changes.types.size === 0 && changes.violations.size === 0) return;
      const key = `${tenantId}:${projectId}`;
      const filtered = applyChanges(cache.get(key)?.snapshot, changes);
      const cur = pending.get(key);
      if (cur) mergeChanges(cur.changes, filtered);
      else pending.set(key, { tenantId, projectId, changes: filtered });
    },
    invalidate(tenantId, projectId) {
      const entry = cache.get(`${tenantId}:${projectId}`);
      if (entry) entry.freshUntil = 0;
    },
    async flushIfDue() {
      if (pending.size === 0 || flushing || now() - lastFlushMs < opts.flushIntervalMs) return;
      await flush();
    },
    flush,
  };
}
