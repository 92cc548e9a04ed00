// The event catalog's decisions for ingest: accept an event (and note what it adds to the catalog) or reject
// it with schema_violation / catalog_limit. Pure: the registry adapter supplies the snapshot and stores the changes.
import { hasNonPrintable, invisibleProblem, RESERVED_EVENT_TYPES } from './event-validation';
import { ok, rejected, type Ok, type Rejected } from './outcome';

export const JSON_TYPES = ['string', 'number', 'boolean', 'object', 'array', 'null'] as const;
export type JsonType = (typeof JSON_TYPES)[number];
/** Types a property may be declared as; `null` is never declared (it is allowed for every declared type). */
export const DECLARABLE_TYPES = ['string', 'number', 'boolean', 'object', 'array'] as const;
export type DeclaredType = (typeof DECLARABLE_TYPES)[number];
export const SCHEMA_MODES = ['open', 'strict'] as const;
export type SchemaMode = (typeof SCHEMA_MODES)[number];
export const TYPE_STATUSES = ['active', 'deprecated'] as const;
export type TypeStatus = (typeof TYPE_STATUSES)[number];
export type ViolationReason = 'unknown_event_type' | 'type_mismatch' | 'catalog_limit';

/** Observed JSON types of a property as a bit set: one bit per entry of JSON_TYPES. */
export type TypeMask = number;

export const MAX_PROPERTY_NAME = 200;
export const MAX_VIOLATION_SAMPLES = 10;
/** Where violations of event types beyond the per-project cap of distinct violating types are counted. */
export const OTHER_EVENT_TYPE = '$other';

export interface CatalogLimits {
  /** Event types per project. */
  maxEventTypes: number;
  /** Properties per event type. */
  maxPropertiesPerType: number;
}

export interface CatalogProperty {
  observed: TypeMask;
  declared: DeclaredType | null;
  /** When the registry last wrote this property's last_seen (it throttles those writes). */
  lastSeenMs: number | null;
}

export interface CatalogType {
  declared: boolean;
  status: TypeStatus;
  properties: Map<string, CatalogProperty>;
}

/** What a process knows of one project's catalog: loaded from Postgres plus its own unflushed registrations. */
export interface CatalogSnapshot {
  mode: SchemaMode;
  types: Map<string, CatalogType>;
  /** Event types that already have violation rows (their number is capped like event types). */
  violationTypes: Set<string>;
}

/** What accepted events of one type add: every catalogable property seen, flagged when new or newly typed. */
export interface TypeChange {
  isNew: boolean;
  newProperties: number;
  firstSeenMs: number;
  lastSeenMs: number;
  properties: Map<string, PropertyChange>;
}

export interface PropertyChange {
  isNew: boolean;
  /** JSON types not in the snapshot yet (0 when the property only needs its last_seen). */
  newTypes: TypeMask;
  firstSeenMs: number;
  lastSeenMs: number;
}

export interface ViolationSample {
  at: string;
  message: string;
  event_id: string;
}

export interface ViolationChange {
  eventType: string;
  reason: ViolationReason;
  count: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** Newest first, at most MAX_VIOLATION_SAMPLES. */
  samples: ViolationSample[];
}

export interface CatalogChanges {
  types: Map<string, TypeChange>;
  violations: Map<string, ViolationChange>;
}

export interface CatalogEvent {
  index: number;
  eventId: string;
  eventType: string;
  properties: Record<string, unknown>;
}

export interface CatalogRejection {
  index: number;
  code: 'schema_violation' | 'catalog_limit';
  message: string;
}

export function emptySnapshot(mode: SchemaMode = 'open'): CatalogSnapshot {
  return { mode, types: new Map(), violationTypes: new Set() };
}

export function emptyChanges(): CatalogChanges {
  return { types: new Map(), violations: new Map() };
}

export function jsonTypeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    default:
      return 'object';
  }
}

const BIT: Record<JsonType, TypeMask> = { string: 1, number: 2, boolean: 4, object: 8, array: 16, null: 32 };

export function typeBit(t: JsonType): TypeMask {
  return BIT[t];
}

export function typesToMask(types: readonly string[]): TypeMask {
  let mask = 0;
  for (const t of types) mask |= BIT[t as JsonType] ?? 0;
  return mask;
}

export function maskToTypes(mask: TypeMask): JsonType[] {
  return JSON_TYPES.filter((t) => (mask & BIT[t]) !== 0);
}

/**
 * Only top-level property names of 1..200 printable characters (no invisible or direction-changing ones, which
 * ingest refuses anyway) are catalogued. Others (rare: generated keys,
 * binary junk) are carried with the event untouched but neither registered, counted nor type-checked.
 */
export function isCatalogablePropertyName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= MAX_PROPERTY_NAME &&
    !hasNonPrintable(name) &&
    invisibleProblem(name, '') === undefined
  );
}

const quote = (s: string) => JSON.stringify(s);
const article = (t: JsonType) => (t === 'null' ? 'null' : t === 'array' || t === 'object' ? `an ${t}` : `a ${t}`);
const catalogPath = (eventType: string) => `PUT /v1/catalog/${encodeURIComponent(eventType)}`;

export const catalogMessages = {
  unknownType: (eventType: string, project: string) =>
    `event type ${quote(eventType)} is not in the catalog of project ${quote(project)} (strict mode); declare it with ${catalogPath(eventType)} or switch the project to open mode`,
  typeMismatch: (
    eventType: string,
    project: string,
    property: string,
    declared: DeclaredType,
    got: JsonType,
    more: number,
  ) =>
    `property ${quote(property)} of event type ${quote(eventType)} is declared as ${declared} in project ${quote(project)} (strict mode) but is ${article(got)}` +
    (more > 0 ? ` (and ${more} more propert${more === 1 ? 'y does' : 'ies do'} not match)` : '') +
    `; send ${article(declared)} (or null), change the declared type with ${catalogPath(eventType)}, or switch the project to open mode`,
  typeCap: (eventType: string, project: string, max: number) =>
    `project ${quote(project)} already has ${max} event types, the most a project may have (CATALOG_MAX_EVENT_TYPES); event type ${quote(eventType)} is new. ` +
    `Reuse an existing event type (put the variable part in a property), or raise CATALOG_MAX_EVENT_TYPES in the deployment's configuration`,
  propertyCap: (eventType: string, project: string, max: number, current: number, added: string[]) =>
    `event type ${quote(eventType)} in project ${quote(project)} has ${current} properties and may have at most ${max} (CATALOG_MAX_PROPERTIES); ` +
    `this event adds ${added.length} new: ${added.slice(0, 3).map(quote).join(', ')}${added.length > 3 ? ', …' : ''}. ` +
    `Reuse existing property names (nest variable keys inside one object property), or raise CATALOG_MAX_PROPERTIES in the deployment's configuration`,
};

/** A cap a declaration (PUT /v1/catalog/{event_type}) would pass: event types per project, or properties per type. */
export interface CatalogCap {
  limit: 'event_types' | 'properties';
  max: number;
  current: number;
  adding: number;
}

/**
 * Whether a declaration fits the caps, counted exactly (in the declaring transaction): a new type needs room among
 * the project's `types`, and the properties it declares anew (`adding`) room beside the type's `properties`.
 */
export function declarationCap(
  d: { types: number; exists: boolean; properties: number; adding: number },
  limits: CatalogLimits,
): Ok<undefined> | Rejected<CatalogCap> {
  if (!d.exists && d.types >= limits.maxEventTypes) {
    return rejected({ limit: 'event_types', max: limits.maxEventTypes, current: d.types, adding: 1 });
  }
  if (d.adding > 0 && d.properties + d.adding > limits.maxPropertiesPerType) {
    return rejected({ limit: 'properties', max: limits.maxPropertiesPerType, current: d.properties, adding: d.adding });
  }
  return ok(undefined);
}

/** The 409 of a declaration beyond a cap. */
export function declarationCapMessage(cap: CatalogCap, project: string, eventType: string): string {
  return cap.limit === 'event_types'
    ? `Project "${project}" already has ${cap.current} event types, the most a project may have (CATALOG_MAX_EVENT_TYPES=${cap.max}); ` +
        "reuse an existing type or raise CATALOG_MAX_EVENT_TYPES in the deployment's configuration."
    : `Event type "${eventType}" has ${cap.current} properties and this declaration adds ${cap.adding}; ` +
        `a type may have at most ${cap.max} (CATALOG_MAX_PROPERTIES). ` +
        "Declare fewer, or raise CATALOG_MAX_PROPERTIES in the deployment's configuration.";
}

const HOUR_MS = 3_600_000;

/** Where a catalog's "last 24 h" counts start: the current hour and the 23 before it, as hourly rollups hold them. */
export function count24hFromMs(nowMs: number): number {
  return Math.floor(nowMs / HOUR_MS) * HOUR_MS - 23 * HOUR_MS;
}

/**
 * Checks the events of one request against one project's catalog, in order, so that a type or property
 * registered by an earlier event of the batch is known to the later ones (and counts against the caps).
 *
 * Rules:
 * - open mode: unknown types and properties are registered, up to the caps (beyond them: catalog_limit);
 *   declared property types are not enforced (the observed types show what arrives).
 * - strict mode: an event type not in the catalog is a schema_violation; so is a property whose JSON type
 *   differs from its declared type (null is allowed for every declared type: "no value"). Properties that
 *   are not declared are accepted and registered like in open mode (the property cap applies): strict mode
 *   guards the set of event types and the declared types, it does not demand that every property be listed.
 * - deprecated types are still accepted in both modes; the status is information for the people using them.
 */
export class CatalogPlan {
  readonly changes: CatalogChanges = emptyChanges();
  private newTypes = 0;
  /** Event types this plan added violation rows for that the snapshot did not have. */
  private readonly newViolationTypes = new Set<string>();

  constructor(
    private readonly snapshot: CatalogSnapshot,
    private readonly limits: CatalogLimits,
    private readonly project: string,
  ) {}

  /** Returns undefined when the event is accepted (its observations are then in `changes`). */
  check(e: CatalogEvent, nowMs: number): CatalogRejection | undefined {
    const strict = this.snapshot.mode === 'strict';
    const known = this.snapshot.types.get(e.eventType);
    const pending = this.changes.types.get(e.eventType);
    if (!known && !pending) {
      // The product's own types (Segment's page, identify…) cannot be declared, so strict mode lets them in.
      if (strict && !RESERVED_EVENT_TYPES.has(e.eventType))
        return this.reject(
          e,
          nowMs,
          'schema_violation',
          'unknown_event_type',
          catalogMessages.unknownType(e.eventType, this.project),
        );
      if (this.snapshot.types.size + this.newTypes >= this.limits.maxEventTypes) {
        return this.reject(
          e,
          nowMs,
          'catalog_limit',
          'catalog_limit',
          catalogMessages.typeCap(e.eventType, this.project, this.limits.maxEventTypes),
        );
      }
    }

    let added: string[] | undefined;
    let mismatch: { name: string; declared: DeclaredType; got: JsonType } | undefined;
    let mismatches = 0;
    for (const name in e.properties) {
      if (!isCatalogablePropertyName(name)) continue;
      const got = jsonTypeOf(e.properties[name]);
      const prop = known?.properties.get(name);
      if (strict && prop?.declared && got !== 'null' && got !== prop.declared) {
        mismatches++;
        mismatch ??= { name, declared: prop.declared, got };
      }
      if (!prop && !pending?.properties.has(name)) (added ??= []).push(name);
    }
    if (mismatch) {
      const message = catalogMessages.typeMismatch(
        e.eventType,
        this.project,
        mismatch.name,
        mismatch.declared,
        mismatch.got,
        mismatches - 1,
      );
      return this.reject(e, nowMs, 'schema_violation', 'type_mismatch', message);
    }
    const current = (known?.properties.size ?? 0) + (pending?.newProperties ?? 0);
    if (added && current + added.length > this.limits.maxPropertiesPerType) {
      return this.reject(
        e,
        nowMs,
        'catalog_limit',
        'catalog_limit',
        catalogMessages.propertyCap(e.eventType, this.project, this.limits.maxPropertiesPerType, current, added),
      );
    }
    this.observe(e, known, pending, nowMs);
    return undefined;
  }

  private observe(
    e: CatalogEvent,
    known: CatalogType | undefined,
    pending: TypeChange | undefined,
    nowMs: number,
  ): void {
    let change = pending;
    if (!change) {
      change = { isNew: !known, newProperties: 0, firstSeenMs: nowMs, lastSeenMs: nowMs, properties: new Map() };
      this.changes.types.set(e.eventType, change);
      if (!known) this.newTypes++;
    }
    change.lastSeenMs = nowMs;
    for (const name in e.properties) {
      if (!isCatalogablePropertyName(name)) continue;
      const bit = BIT[jsonTypeOf(e.properties[name])];
      const prop = known?.properties.get(name);
      const seen = change.properties.get(name);
      if (seen) {
        if (((prop?.observed ?? 0) & bit) === 0) seen.newTypes |= bit;
        seen.lastSeenMs = nowMs;
        continue;
      }
      const isNew = !prop;
      if (isNew) change.newProperties++;
      change.properties.set(name, {
        isNew,
        newTypes: ((prop?.observed ?? 0) & bit) === 0 ? bit : 0,
        firstSeenMs: nowMs,
        lastSeenMs: nowMs,
      });
    }
  }

  private reject(
    e: CatalogEvent,
    nowMs: number,
    code: CatalogRejection['code'],
    reason: ViolationReason,
    message: string,
  ): CatalogRejection {
    this.recordViolation(e, nowMs, reason, message);
    return { index: e.index, code, message };
  }

  /** Counts and samples a rejection; distinct violating types per project are capped like event types. */
  private recordViolation(e: CatalogEvent, nowMs: number, reason: ViolationReason, message: string): void {
    let eventType = e.eventType;
    if (!this.snapshot.violationTypes.has(eventType) && !this.newViolationTypes.has(eventType)) {
      if (this.snapshot.violationTypes.size + this.newViolationTypes.size >= this.limits.maxEventTypes)
        eventType = OTHER_EVENT_TYPE;
      else this.newViolationTypes.add(eventType);
    }
    const key = violationKey(eventType, reason);
    const sample = { at: new Date(nowMs).toISOString(), message, event_id: e.eventId };
    const v = this.changes.violations.get(key);
    if (!v) {
      this.changes.violations.set(key, {
        eventType,
        reason,
        count: 1,
        firstSeenMs: nowMs,
        lastSeenMs: nowMs,
        samples: [sample],
      });
      return;
    }
    v.count++;
    v.lastSeenMs = Math.max(v.lastSeenMs, nowMs);
    v.samples.unshift(sample);
    if (v.samples.length > MAX_VIOLATION_SAMPLES) v.samples.length = MAX_VIOLATION_SAMPLES;
  }
}

export function violationKey(eventType: string, reason: ViolationReason): string {
  return `${eventType}\u0000${reason}`;
}

/** Newest first, at most MAX_VIOLATION_SAMPLES, from two newest-first lists. */
export function mergeSamples(newer: ViolationSample[], older: ViolationSample[]): ViolationSample[] {
  return [...newer, ...older].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, MAX_VIOLATION_SAMPLES);
}

/**
 * Folds one request's changes into another (the registry's unflushed buffer, or a failed flush back into it).
 * `into` is modified; `isNew` stays true once set, so a type registered twice is still inserted once.
 */
export function mergeChanges(into: CatalogChanges, from: CatalogChanges): CatalogChanges {
  for (const [eventType, t] of from.types) {
    const cur = into.types.get(eventType);
    if (!cur) {
      into.types.set(eventType, { ...t, properties: new Map([...t.properties].map(([n, p]) => [n, { ...p }])) });
      continue;
    }
    cur.isNew ||= t.isNew;
    cur.firstSeenMs = Math.min(cur.firstSeenMs, t.firstSeenMs);
    cur.lastSeenMs = Math.max(cur.lastSeenMs, t.lastSeenMs);
    for (const [name, p] of t.properties) {
      const cp = cur.properties.get(name);
      if (!cp) {
        cur.properties.set(name, { ...p });
        if (p.isNew) cur.newProperties++;
        continue;
      }
      if (p.isNew && !cp.isNew) cur.newProperties++;
      cp.isNew ||= p.isNew;
      cp.newTypes |= p.newTypes;
      cp.firstSeenMs = Math.min(cp.firstSeenMs, p.firstSeenMs);
      cp.lastSeenMs = Math.max(cp.lastSeenMs, p.lastSeenMs);
    }
  }
  for (const [key, v] of from.violations) {
    const cur = into.violations.get(key);
    if (!cur) {
      into.violations.set(key, { ...v, samples: [...v.samples] });
      continue;
    }
    cur.count += v.count;
    cur.firstSeenMs = Math.min(cur.firstSeenMs, v.firstSeenMs);
    cur.lastSeenMs = Math.max(cur.lastSeenMs, v.lastSeenMs);
    cur.samples = mergeSamples(v.samples, cur.samples);
  }
  return into;
}
