import fc from 'fast-check';
import { actorLabel, fieldChanges, formatValue, stableJson } from './auditView';

describe('fieldChanges', () => {
  it('lists changed, added and removed fields by name, and leaves equal ones out', () => {
    expect(
      fieldChanges(
        { name: 'Ops', widgets: [{ a: 1, b: 2 }], gone: true, same: { x: 1, y: 2 } },
        { name: 'Operations', widgets: [{ b: 2, a: 1 }], new: 'yes', same: { y: 2, x: 1 } },
      ),
    ).toEqual([
      { key: 'gone', kind: 'removed', before: true, after: undefined },
      { key: 'name', kind: 'changed', before: 'Ops', after: 'Operations' },
      { key: 'new', kind: 'added', before: undefined, after: 'yes' },
    ]);
  });

  it('a creation adds every field, a deletion removes every field, null to null changes nothing', () => {
    expect(fieldChanges(null, { a: 1 }).map((c) => c.kind)).toEqual(['added']);
    expect(fieldChanges({ a: 1, b: null }, null).map((c) => c.kind)).toEqual(['removed', 'removed']);
    expect(fieldChanges(null, null)).toEqual([]);
  });

  it('finds no change between a state and itself, and one entry per key that differs', () => {
    const state = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 });
    fc.assert(
      fc.property(state, state, (a, b) => {
        expect(fieldChanges(a, structuredClone(a))).toEqual([]);
        const changes = fieldChanges(a, b);
        expect(new Set(changes.map((c) => c.key)).size).toBe(changes.length);
        for (const c of changes) expect(stableJson(c.before)).not.toBe(stableJson(c.after));
      }),
    );
  });
});

describe('formatting', () => {
  it('names actors', () => {
    expect(actorLabel({ kind: 'user', id: 'u1', email: 'ana@example.com' })).toBe('ana@example.com');
    expect(actorLabel({ kind: 'api_key', id: '0193abcd-0000-7000-8000-000000000000' })).toBe('API key 0193abcd…');
    expect(actorLabel({ kind: 'system', id: 'erasure' })).toBe('system (erasure)');
  });

  it('prints values compactly, cut at the limit', () => {
    expect(formatValue('Ops')).toBe('Ops');
    expect(formatValue({ b: 1, a: [true, null] })).toBe('{"a":[true,null],"b":1}');
    expect(formatValue(undefined)).toBe('—');
    expect(formatValue('x'.repeat(300), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
