// Query strings (docs/api.md#query-strings): what reaches a handler is well-formed UTF-8 without U+0000; times are
// bounded.
import fc from 'fast-check';
import type { HttpEvent } from './middleware';
import { propertyFilters, queryParams, singleParam, timeParam } from './request';
import { parseMetricsQuery } from '../query/metrics';
import { alertRuleSchema } from '../query/alert-rule-schema';
import { numericFilterValue } from '../../adapters/postgres/property-filter';

const event = (rawQueryString: string) => ({ rawQueryString }) as HttpEvent;
const bad = expect.objectContaining({ kind: 'invalid', code: 'invalid_parameter' });

describe('queryParams', () => {
  it.each([
    'a=%00',
    '%00=1',
    'prop.a%00b=1',
    'x=1&user_id=a%00b',
    'a=%',
    'a=%zz',
    'a=%E0%A4%A',
    'a=%FF',
    'a=%C0%AF',
    'a=%ED%A0%80',
    '%ED%B0%80=1',
  ])('refuses %j with 400', (q) => {
    expect(() => queryParams(event(q))).toThrow(bad);
  });

  it('passes every percent-encoded well-formed string without U+0000 through unchanged', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 30 }),
        fc.string({ unit: 'binary', maxLength: 30 }),
        (k, v) => {
          const clean = (s: string) =>
            s
              .replaceAll('\u0000', '')
              .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '');
          const [name, value] = [clean(k), clean(v)];
          const params = queryParams(event(`${encodeURIComponent(name)}=${encodeURIComponent(value)}&x=1+2`));
          expect(params.get(name)).toBe(value);
          expect(params.getAll('x').includes('1 2')).toBe(true);
        },
      ),
    );
  });
});

describe('singleParam', () => {
  it('returns the one value, null when absent, and refuses a repeat', () => {
    expect(singleParam(new URLSearchParams('a=1'), 'a')).toBe('1');
    expect(singleParam(new URLSearchParams(''), 'a')).toBeNull();
    expect(() => singleParam(new URLSearchParams('a=1&a=1'), 'a')).toThrow(
      expect.objectContaining({ kind: 'invalid', message: expect.stringContaining('a appears 2 times') }),
    );
  });
});

describe('timeParam', () => {
  const t = (v: string) => timeParam(new URLSearchParams({ from: v }), 'from');
  it.each([
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00Z',
    '+010000-01-01',
    '-000001-01-01',
    '0000-12-31T23:59:59Z',
    '8640000000000000',
    '-8640000000000000',
    '-62135596800001',
    '253402300800000',
    '99999999999999999999',
    'tomorrow',
  ])('refuses %j', (v) => {
    expect(() => t(v)).toThrow(bad);
  });
  it('accepts the bounds and ordinary times', () => {
    expect(t('0001-01-01T00:00:00Z')).toBe(-62_135_596_800_000);
    expect(t('9999-12-31T23:59:59.999Z')).toBe(253_402_300_799_999);
    expect(t('-62135596800000')).toBe(-62_135_596_800_000);
    expect(t('2026-11-27T10:00:00Z')).toBe(Date.UTC(2026, 10, 27, 10));
    expect(t('')).toBeUndefined();
  });
});

describe('numericFilterValue', () => {
  it.each(['0', '-0', '0.10', '1e3', '-1.5E-7', '12345678901234567890'])('compares %j as a number', (v) =>
    expect(numericFilterValue(v)).toBe(v),
  );
  it.each(['.1', '+1', '1 ', '01', '1.', 'NaN', 'Infinity', '0x10', '1e1001', '1e-1001', '1'.repeat(101), ''])(
    'compares %j as text only',
    (v) => expect(numericFilterValue(v)).toBeNull(),
  );
});

describe('names in queries are read in NFC, as ingest stores them', () => {
  const decomposed = 'cafe\u0301'; // "café" as e + combining acute
  const composed = 'caf\u00e9';
  const q = (s: string) => queryParams(event(s));

  it('event_type and sum:/avg: paths of GET /v1/metrics', () => {
    const parsed = parseMetricsQuery(
      q(`event_type=${encodeURIComponent(decomposed)}&metric=${encodeURIComponent(`sum:${decomposed}.x`)}`),
      Date.now(),
    );
    expect(parsed.eventType).toBe(composed);
    expect(parsed.path).toEqual([composed, 'x']);
  });

  it('prop.<path> keys (values are compared as sent)', () => {
    expect(propertyFilters(q(`prop.${encodeURIComponent(decomposed)}=${encodeURIComponent(decomposed)}`))).toEqual([
      [[composed], decomposed],
    ]);
  });

  it('alert-rule event types and filter keys', () => {
    const r = alertRuleSchema.safeParse({
      name: 'n',
      event_type: decomposed,
      filter: { [decomposed]: 'x' },
      condition: { op: '>', threshold: 1 },
      window: '5m',
      channels: [{ type: 'email', to: ['a@example.com'] }],
    });
    expect(r.success && [r.data.event_type, Object.keys(r.data.filter ?? {})]).toEqual([composed, [composed]]);
  });
});
