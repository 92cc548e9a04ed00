import fc from 'fast-check';
import { findDuplicateKey } from './json-duplicates';

describe('findDuplicateKey', () => {
  it.each([
    ['{"a":1,"a":2}', 'a'],
    ['{"events":[{"event_type":"x","p":{"k":1},"event_type":"y"}]}', 'event_type'],
    ['{"a":{"b":1,"b":2}}', 'b'],
    ['{"\\u0061":1,"a":2}', 'a'],
    ['[{"x":1},{"x":2},{"y":1,"y":2}]', 'y'],
  ])('finds the duplicate in %s', (json, key) => {
    expect(findDuplicateKey(json)).toBe(key);
  });

  it.each([
    '{"a":1,"b":{"a":2}}',
    '[{"a":1},{"a":1}]',
    '{"a":"\\"a\\":1","b":"a"}',
    '{"a":["a","a"]}',
    '"a"',
    '{}',
    '{"a":{},"b":[]}',
  ])('finds none in %s', (json) => {
    expect(findDuplicateKey(json)).toBeUndefined();
  });

  it('never reports a duplicate for JSON produced by JSON.stringify', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => findDuplicateKey(JSON.stringify(v)) === undefined),
      { numRuns: 500 },
    );
  });

  it('handles deep nesting without recursion', () => {
    expect(findDuplicateKey('['.repeat(100_000) + ']'.repeat(100_000))).toBeUndefined();
  });
});
