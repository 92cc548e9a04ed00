// jsonText is JSON.stringify, whatever is marked; a marked field's text is made once.
import fc from 'fast-check';
import { jsonText, serializeOnce } from './json-text';

describe('jsonText', () => {
  it('is JSON.stringify of any value, with any of its top-level fields marked', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue())),
        fc.array(fc.boolean(), { maxLength: 20 }),
        (body, marks) => {
          if (body !== null && typeof body === 'object' && !Array.isArray(body))
            Object.values(body).forEach((v, i) => {
              if (marks[i] && v !== null && typeof v === 'object') serializeOnce(v);
            });
          expect(jsonText(body)).toBe(JSON.stringify(body));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('leaves out fields without JSON as JSON.stringify does, and keeps the field order', () => {
    const series = serializeOnce([{ value: 'DE', total: 2 }]);
    const body = { a: 1, gone: undefined, fn: () => 1, series, z: 'ü\ud800' };
    expect(jsonText(body)).toBe(JSON.stringify(body));
  });

  it("makes a marked field's text once: later answers that share it reuse it", () => {
    const points = serializeOnce([{ t: '2026-12-06T00:00:00.000Z', value: 1 }]);
    expect(jsonText({ data_as_of: null, points })).toBe(
      '{"data_as_of":null,"points":[{"t":"2026-12-06T00:00:00.000Z","value":1}]}',
    );
    // The contract is that a marked value never changes; if it did, the text made first is what answers keep.
    points[0]!.value = 2;
    expect(jsonText({ data_as_of: 'x', points })).toBe(
      '{"data_as_of":"x","points":[{"t":"2026-12-06T00:00:00.000Z","value":1}]}',
    );
    // A value marked below the top level is serialized as usual.
    const nested = serializeOnce({ n: 1 });
    const body = { wrap: { nested } };
    nested.n = 3;
    expect(jsonText(body)).toBe('{"wrap":{"nested":{"n":3}}}');
  });

  it('a top-level toJSON is honoured', () => {
    const series = serializeOnce([1]);
    const body = { series, toJSON: () => ({ other: true }) };
    expect(jsonText(body)).toBe('{"other":true}');
  });
});
