import {
  CatalogPlan,
  emptyChanges,
  emptySnapshot,
  isCatalogablePropertyName,
  jsonTypeOf,
  maskToTypes,
  mergeChanges,
  mergeSamples,
  typeBit,
  typesToMask,
  OTHER_EVENT_TYPE,
  type CatalogEvent,
  type CatalogLimits,
  type CatalogSnapshot,
  type DeclaredType,
  type SchemaMode,
} from './catalog';

const NOW = Date.parse('2026-11-27T10:00:00Z');
const LIMITS: CatalogLimits = { maxEventTypes: 1000, maxPropertiesPerType: 500 };

let nextIndex = 0;
function ev(eventType: string, properties: Record<string, unknown> = {}, eventId = `e-${nextIndex}`): CatalogEvent {
  return { index: nextIndex++, eventId, eventType, properties };
}

/** A snapshot from a compact description: { type: { prop: declaredType | observed types } }. */
function snapshot(
  mode: SchemaMode,
  types: Record<string, Record<string, { declared?: DeclaredType; observed?: string[] }>> = {},
): CatalogSnapshot {
  const s = emptySnapshot(mode);
  for (const [name, props] of Object.entries(types)) {
    s.types.set(name, {
      declared: Object.values(props).some((p) => p.declared !== undefined),
      status: 'active',
      properties: new Map(
        Object.entries(props).map(([n, p]) => [
          n,
          { observed: typesToMask(p.observed ?? []), declared: p.declared ?? null, lastSeenMs: null },
        ]),
      ),
    });
  }
  return s;
}

const plan = (s: CatalogSnapshot, limits: Partial<CatalogLimits> = {}) =>
  new CatalogPlan(s, { ...LIMITS, ...limits }, 'web');

describe('JSON types', () => {
  it('names the JSON type of every value', () => {
    expect([
      jsonTypeOf('a'),
      jsonTypeOf(1.5),
      jsonTypeOf(0),
      jsonTypeOf(true),
      jsonTypeOf({}),
      jsonTypeOf([]),
      jsonTypeOf(null),
    ]).toEqual(['string', 'number', 'number', 'boolean', 'object', 'array', 'null']);
  });

  it('turns observed types into a bit set and back, in one canonical order', () => {
    expect(maskToTypes(typesToMask(['null', 'array', 'string']))).toEqual(['string', 'array', 'null']);
    expect(typesToMask(['number', 'bogus'])).toBe(typeBit('number'));
    expect(maskToTypes(0)).toEqual([]);
  });

  it('catalogues only top-level names of 1-200 printable characters', () => {
    expect(isCatalogablePropertyName('plan')).toBe(true);
    expect(isCatalogablePropertyName('Order Total (€)')).toBe(true);
    expect(isCatalogablePropertyName('x'.repeat(200))).toBe(true);
    expect(isCatalogablePropertyName('x'.repeat(201))).toBe(false);
    expect(isCatalogablePropertyName('')).toBe(false);
    expect(isCatalogablePropertyName('a\u0000b')).toBe(false);
    expect(isCatalogablePropertyName('line\nbreak')).toBe(false);
  });
});

describe('open mode', () => {
  it('accepts a new event type and notes it with its properties and their observed types', () => {
    // Prepare
    const p = plan(snapshot('open'));

    // Act
    const rejection = p.check(
      ev('signup', { plan: 'pro', seats: 3, trial: false, meta: { a: 1 }, tags: [], coupon: null }),
      NOW,
    );

    // Assess
    expect(rejection).toBeUndefined();
    const t = p.changes.types.get('signup')!;
    expect(t).toMatchObject({ isNew: true, newProperties: 6, firstSeenMs: NOW, lastSeenMs: NOW });
    expect(Object.fromEntries([...t.properties].map(([n, c]) => [n, [c.isNew, maskToTypes(c.newTypes)]]))).toEqual({
      plan: [true, ['string']],
      seats: [true, ['number']],
      trial: [true, ['boolean']],
      meta: [true, ['object']],
      tags: [true, ['array']],
      coupon: [true, ['null']],
    });
    expect(p.changes.violations.size).toBe(0);
  });

  it('notes only what is new about a known type: new properties and newly observed types', () => {
    const p = plan(snapshot('open', { signup: { plan: { observed: ['string'] }, seats: { observed: ['number'] } } }));
    expect(p.check(ev('signup', { plan: 'pro', seats: '3', ref: 'ad' }), NOW)).toBeUndefined();
    const t = p.changes.types.get('signup')!;
    expect(t.isNew).toBe(false);
    expect(t.newProperties).toBe(1);
    expect(t.properties.get('plan')).toMatchObject({ isNew: false, newTypes: 0 }); // seen (last_seen), nothing new
    expect(t.properties.get('seats')).toMatchObject({ isNew: false, newTypes: typeBit('string') });
    expect(t.properties.get('ref')).toMatchObject({ isNew: true, newTypes: typeBit('string') });
  });

  it('counts a type or property registered earlier in the batch as known for the later events', () => {
    const p = plan(snapshot('open'));
    p.check(ev('a', { x: 1 }), NOW);
    p.check(ev('a', { x: 'one', y: true }), NOW + 5);
    const t = p.changes.types.get('a')!;
    expect(t).toMatchObject({ isNew: true, newProperties: 2, firstSeenMs: NOW, lastSeenMs: NOW + 5 });
    expect(maskToTypes(t.properties.get('x')!.newTypes)).toEqual(['string', 'number']);
    expect(t.properties.get('x')!.lastSeenMs).toBe(NOW + 5);
  });

  it('never rejects on types, declared or not', () => {
    const p = plan(snapshot('open', { order: { total: { declared: 'number', observed: ['number'] } } }));
    expect(p.check(ev('order', { total: '12.50' }), NOW)).toBeUndefined();
    expect(p.changes.types.get('order')!.properties.get('total')!.newTypes).toBe(typeBit('string'));
  });

  it('accepts deprecated types', () => {
    const s = snapshot('open', { old: {} });
    s.types.get('old')!.status = 'deprecated';
    expect(plan(s).check(ev('old'), NOW)).toBeUndefined();
  });

  it('leaves uncatalogable property names out of the catalog without rejecting the event', () => {
    const p = plan(snapshot('open'), { maxPropertiesPerType: 1 });
    expect(p.check(ev('a', { ok: 1, ['k'.repeat(300)]: 1, 'bad\u0007': 2 }), NOW)).toBeUndefined();
    expect([...p.changes.types.get('a')!.properties.keys()]).toEqual(['ok']);
  });
});

describe('strict mode', () => {
  it('rejects an event type that is not in the catalog with schema_violation and says how to fix it', () => {
    const p = plan(snapshot('strict', { signup: {} }));
    const rejection = p.check(ev('Order Completed'), NOW);
    expect(rejection).toEqual({
      index: expect.any(Number),
      code: 'schema_violation',
      message:
        'event type "Order Completed" is not in the catalog of project "web" (strict mode); declare it with PUT /v1/catalog/Order%20Completed or switch the project to open mode',
    });
    expect(p.changes.types.size).toBe(0);
  });

  it("accepts the product's reserved types ($page, $identify… from the Segment endpoints), which cannot be declared", () => {
    const p = plan(snapshot('strict', { signup: {} }));
    expect(p.check(ev('$page', { name: 'Home' }), NOW)).toBeUndefined();
    expect(p.check(ev('$identify'), NOW)).toBeUndefined();
    expect(p.check(ev('$custom'), NOW)).toMatchObject({ code: 'schema_violation' });
  });

  it('accepts types that are in the catalog, declared or only registered earlier in open mode', () => {
    const s = snapshot('strict', {
      declared: { plan: { declared: 'string' } },
      registered: { any: { observed: ['number'] } },
    });
    const p = plan(s);
    expect(p.check(ev('declared', { plan: 'pro' }), NOW)).toBeUndefined();
    expect(p.check(ev('registered', { any: 'text' }), NOW)).toBeUndefined();
  });

  it('rejects a property whose JSON type differs from its declared type, naming property, types and fixes', () => {
    const p = plan(
      snapshot('strict', {
        order: { total: { declared: 'number' }, items: { declared: 'array' }, note: { declared: 'string' } },
      }),
    );
    const rejection = p.check(ev('order', { total: '12.50', items: {}, note: 'x' }), NOW);
    expect(rejection?.code).toBe('schema_violation');
    expect(rejection?.message).toBe(
      'property "total" of event type "order" is declared as number in project "web" (strict mode) but is a string (and 1 more property does not match); ' +
        'send a number (or null), change the declared type with PUT /v1/catalog/order, or switch the project to open mode',
    );
    expect(p.changes.types.size).toBe(0);
    expect([...p.changes.violations.values()]).toEqual([
      expect.objectContaining({ eventType: 'order', reason: 'type_mismatch', count: 1 }),
    ]);
  });

  it('allows null for any declared type ("no value")', () => {
    const p = plan(snapshot('strict', { order: { total: { declared: 'number' } } }));
    expect(p.check(ev('order', { total: null }), NOW)).toBeUndefined();
    expect(p.changes.types.get('order')!.properties.get('total')!.newTypes).toBe(typeBit('null'));
  });

  it('accepts and registers properties that are not declared (the property cap still applies)', () => {
    const p = plan(snapshot('strict', { order: { total: { declared: 'number' } } }), { maxPropertiesPerType: 2 });
    expect(p.check(ev('order', { total: 1, coupon: 'X' }), NOW)).toBeUndefined();
    expect(p.changes.types.get('order')!.properties.get('coupon')).toMatchObject({ isNew: true });
    expect(p.check(ev('order', { total: 1, another: 1 }), NOW)?.code).toBe('catalog_limit');
  });

  it('treats an unknown type as schema_violation even when the type cap is reached', () => {
    const p = plan(snapshot('strict', { a: {} }), { maxEventTypes: 1 });
    const r = p.check(ev('b'), NOW);
    expect(r?.code).toBe('schema_violation');
    expect([...p.changes.violations.values()][0]!.reason).toBe('unknown_event_type');
  });
});

describe('caps', () => {
  it('refuses a new event type beyond the per-project cap with catalog_limit, and keeps accepting known types', () => {
    const p = plan(snapshot('open', { a: {} }), { maxEventTypes: 2 });
    expect(p.check(ev('b'), NOW)).toBeUndefined();
    const r = p.check(ev('c'), NOW);
    expect(r).toMatchObject({
      code: 'catalog_limit',
      message: expect.stringContaining('project "web" already has 2 event types'),
    });
    expect(r!.message).toContain('raise CATALOG_MAX_EVENT_TYPES');
    expect(p.check(ev('a'), NOW)).toBeUndefined();
    expect(p.check(ev('b'), NOW)).toBeUndefined();
    expect([...p.changes.violations.values()]).toEqual([
      expect.objectContaining({ eventType: 'c', reason: 'catalog_limit', count: 1 }),
    ]);
  });

  it('refuses an event that would add properties beyond the per-type cap, whole, and says which cap', () => {
    const p = plan(snapshot('open', { a: { x: { observed: ['number'] }, y: { observed: ['number'] } } }), {
      maxPropertiesPerType: 3,
    });
    const r = p.check(ev('a', { x: 1, p: 1, q: 2 }), NOW);
    expect(r?.code).toBe('catalog_limit');
    expect(r?.message).toContain(
      'event type "a" in project "web" has 2 properties and may have at most 3 (CATALOG_MAX_PROPERTIES); this event adds 2 new: "p", "q"',
    );
    expect(r?.message).toContain('raise CATALOG_MAX_PROPERTIES');
    expect(p.changes.types.size).toBe(0); // nothing of the refused event is registered
    expect(p.check(ev('a', { x: 1, p: 1 }), NOW)).toBeUndefined();
    expect(p.check(ev('a', { q: 1 }), NOW)?.code).toBe('catalog_limit'); // p now counts
    expect(p.check(ev('a', { x: 'known name, new type', p: 2, y: 3 }), NOW)).toBeUndefined();
  });

  it('applies the property cap to the first event of a new type too', () => {
    const p = plan(snapshot('open'), { maxPropertiesPerType: 2 });
    expect(p.check(ev('a', { x: 1, y: 2, z: 3 }), NOW)?.code).toBe('catalog_limit');
    expect(p.changes.types.has('a')).toBe(false);
    expect(p.check(ev('a', { x: 1, y: 2 }), NOW)).toBeUndefined();
    expect(p.changes.types.get('a')!.isNew).toBe(true);
  });
});

describe('violations', () => {
  it('counts every rejection and keeps the 10 most recent samples, newest first', () => {
    const p = plan(snapshot('strict'));
    for (let i = 0; i < 15; i++) p.check(ev('nope', {}, `id-${i}`), NOW + i * 1000);
    const v = p.changes.violations.get('nope\u0000unknown_event_type')!;
    expect(v.count).toBe(15);
    expect(v.firstSeenMs).toBe(NOW);
    expect(v.lastSeenMs).toBe(NOW + 14_000);
    expect(v.samples.map((s) => s.event_id)).toEqual([
      'id-14',
      'id-13',
      'id-12',
      'id-11',
      'id-10',
      'id-9',
      'id-8',
      'id-7',
      'id-6',
      'id-5',
    ]);
    expect(v.samples[0]).toEqual({
      at: new Date(NOW + 14_000).toISOString(),
      message: expect.stringContaining('"nope"'),
      event_id: 'id-14',
    });
  });

  it('counts violations of types beyond the cap of distinct violating types under $other', () => {
    const s = snapshot('strict');
    s.violationTypes.add('seen-before');
    const p = plan(s, { maxEventTypes: 2 });
    p.check(ev('seen-before'), NOW);
    p.check(ev('new-1'), NOW);
    p.check(ev('new-2'), NOW);
    p.check(ev('new-3'), NOW);
    p.check(ev('new-1'), NOW);
    const byType = Object.fromEntries([...p.changes.violations.values()].map((v) => [v.eventType, v.count]));
    expect(byType).toEqual({ 'seen-before': 1, 'new-1': 2, [OTHER_EVENT_TYPE]: 2 });
    const other = [...p.changes.violations.values()].find((v) => v.eventType === OTHER_EVENT_TYPE)!;
    expect(other.samples.map((x) => x.message)).toEqual([
      expect.stringContaining('"new-3"'),
      expect.stringContaining('"new-2"'),
    ]);
  });
});

describe('merging changes', () => {
  it('adds counts, merges samples by time, ORs observed types and keeps "new" once set', () => {
    const a = plan(snapshot('open'));
    a.check(ev('t', { x: 1 }), NOW);
    const b = plan(snapshot('open', { t: { x: { observed: ['number'] } } }));
    b.check(ev('t', { x: 'two', y: true }), NOW + 10);
    const strict1 = plan(snapshot('strict'));
    strict1.check(ev('bad', {}, 'old'), NOW);
    const strict2 = plan(snapshot('strict'));
    strict2.check(ev('bad', {}, 'new'), NOW + 20);

    const merged = mergeChanges(mergeChanges(mergeChanges(emptyChanges(), a.changes), b.changes), strict1.changes);
    mergeChanges(merged, strict2.changes);

    const t = merged.types.get('t')!;
    expect(t).toMatchObject({ isNew: true, firstSeenMs: NOW, lastSeenMs: NOW + 10, newProperties: 2 });
    expect(maskToTypes(t.properties.get('x')!.newTypes)).toEqual(['string', 'number']);
    expect(t.properties.get('x')!.isNew).toBe(true);
    const v = merged.violations.get('bad\u0000unknown_event_type')!;
    expect(v.count).toBe(2);
    expect(v.samples.map((s) => s.event_id)).toEqual(['new', 'old']);
    expect(a.changes.types.get('t')!.lastSeenMs).toBe(NOW); // the merged-in changes are copied, not shared
  });

  it('keeps at most 10 samples, the newest', () => {
    const sample = (i: number) => ({ at: new Date(NOW + i).toISOString(), message: 'm', event_id: String(i) });
    const merged = mergeSamples(
      [sample(9), sample(7), sample(5)],
      Array.from({ length: 10 }, (_, i) => sample(20 - i * 2)),
    );
    expect(merged.map((s) => s.event_id)).toEqual(['20', '18', '16', '14', '12', '10', '9', '8', '7', '6']);
  });
});
