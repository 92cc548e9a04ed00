import fc from 'fast-check';
import { breakdownCsv, csvFilename, csvText, metricCsv, parseFormat } from './csv';

/** A strict RFC 4180 reader (quoted fields, doubled quotes, CRLF records), to read back what csvText writes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const row: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new Error('unterminated quote');
          field += text.slice(i, q);
          i = q + 1;
          if (text[i] === '"') {
            field += '"';
            i++;
          } else break;
        }
      } else {
        const end = text.slice(i).search(/[,\r\n"]/);
        field = end < 0 ? text.slice(i) : text.slice(i, i + end);
        i += field.length;
        if (text[i] === '"') throw new Error('quote inside an unquoted field');
      }
      row.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text.startsWith('\r\n', i)) {
        i += 2;
        break;
      }
      throw new Error(`record not ended by CRLF at ${i}`);
    }
    rows.push(row);
  }
  return rows;
}

const anyText = fc
  .string({ unit: 'grapheme' })
  .chain((g) =>
    fc.oneof(
      fc.constant(g),
      fc.string({ unit: fc.constantFrom('"', ',', '\r', '\n', 'a', ' ', '\u2028', '\u{1F600}') }),
      fc.string({ unit: 'binary' }),
    ),
  );

describe('csvText', () => {
  it('quote only what needs quoting, doubling quotes', () => {
    expect(csvText([['plain', 'x']])).toBe('plain,x\r\n');
    expect(csvText([['', 'x']])).toBe(',x\r\n');
    expect(csvText([['a,b', 'x']])).toBe('"a,b",x\r\n');
    expect(csvText([['say "hi"', 'x']])).toBe('"say ""hi""",x\r\n');
    expect(csvText([['two\nlines', 'x']])).toBe('"two\nlines",x\r\n');
    expect(csvText([['cr\r', 'x']])).toBe('"cr\r",x\r\n');
    expect(
      csvText([
        ['a', 'b'],
        ['1', ''],
      ]),
    ).toBe('a,b\r\n1,\r\n');
  });

  it('round-trip any strings (quotes, commas, CR, LF, any Unicode) through an RFC 4180 reader', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(anyText, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 5 }),
        (rows) => {
          // A record of one empty field is an empty line, which RFC 4180 readers skip: not something we write.
          fc.pre(rows.every((r) => r.length > 1 || r[0] !== ''));
          expect(parseCsv(csvText(rows))).toEqual(rows);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('metricCsv', () => {
  const points = [
    { t: '2026-11-27T10:00:00.000Z', value: 12 },
    { t: '2026-11-27T10:01:00.000Z', value: null },
    { t: '2026-11-27T10:02:00.000Z', value: 0.1 },
  ];
  const previous = [
    { t: '2026-11-27T09:57:00.000Z', value: null },
    { t: '2026-11-27T09:58:00.000Z', value: 3 },
    { t: '2026-11-27T09:59:00.000Z', value: -1e21 },
  ];

  it('writes t,value with ISO instants, numbers as JSON writes them and null as empty', () => {
    expect(metricCsv(points)).toBe(
      't,value\r\n2026-11-27T10:00:00.000Z,12\r\n2026-11-27T10:01:00.000Z,\r\n2026-11-27T10:02:00.000Z,0.1\r\n',
    );
  });

  it('adds previous_t,previous_value: the previous range point of the same position', () => {
    expect(parseCsv(metricCsv(points, previous))).toEqual([
      ['t', 'value', 'previous_t', 'previous_value'],
      ['2026-11-27T10:00:00.000Z', '12', '2026-11-27T09:57:00.000Z', ''],
      ['2026-11-27T10:01:00.000Z', '', '2026-11-27T09:58:00.000Z', '3'],
      ['2026-11-27T10:02:00.000Z', '0.1', '2026-11-27T09:59:00.000Z', '-1e+21'],
    ]);
    expect(JSON.parse('-1e+21')).toBe(-1e21);
  });

  it('is the header alone without points', () => {
    expect(metricCsv([])).toBe('t,value\r\n');
  });
});

describe('csvFilename', () => {
  it('keeps letters, digits, dot, dash and underscore; everything else becomes _', () => {
    expect(csvFilename('signup', 'count')).toBe('signup-count.csv');
    expect(csvFilename('Order Completed', 'sum:cart.total')).toBe('Order_Completed-sum_cart.total.csv');
    expect(csvFilename('a"b\r\nc;d/e\\f', 'avg:caf\u00e9')).toBe('a_b__c_d_e_f-avg_caf_.csv');
    expect(csvFilename('..', 'count')).toBe('_-count.csv');
  });

  it('is a safe quoted-string filename for any event_type and metric (no quote, backslash, control, non-ASCII)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (eventType, metric) => {
        const name = csvFilename(eventType, metric);
        expect(name).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}\.csv$/);
        expect(name).not.toMatch(/[\\"\r\n]/);
      }),
    );
  });
});

describe('parseFormat', () => {
  it('takes json (the default) and csv', () => {
    expect(parseFormat(null)).toBe('json');
    expect(parseFormat('json')).toBe('json');
    expect(parseFormat('csv')).toBe('csv');
  });

  it.each(['', 'CSV', 'xml', 'csv,json'])('refuses %j with a message that names the fix', (v) => {
    expect(() => parseFormat(v)).toThrow(
      expect.objectContaining({
        kind: 'invalid',
        code: 'invalid_parameter',
        message: expect.stringMatching(/format=csv/),
      }),
    );
  });
});

describe('breakdownCsv', () => {
  const points = [
    { t: 'T0', value: 3 },
    { t: 'T1', value: 0.3 },
  ];
  const series = [
    {
      value: 'a,"b"',
      points: [
        { t: 'T0', value: 2 },
        { t: 'T1', value: 0.1 },
      ],
    },
    {
      value: '$none',
      points: [
        { t: 'T0', value: 1 },
        { t: 'T1', value: 0.2 },
      ],
    },
  ];
  it('puts a series column first: the total rows (empty series), then each series in order', () => {
    expect(parseCsv(breakdownCsv(points, series))).toEqual([
      ['series', 't', 'value'],
      ['', 'T0', '3'],
      ['', 'T1', '0.3'],
      ['a,"b"', 'T0', '2'],
      ['a,"b"', 'T1', '0.1'],
      ['$none', 'T0', '1'],
      ['$none', 'T1', '0.2'],
    ]);
  });
  it('with a comparison, each row holds the previous point of the same position of its series', () => {
    const prev = (v: number) => [
      { t: 'P0', value: v },
      { t: 'P1', value: null },
    ];
    const withPrev = series.map((s, i) => ({ ...s, previous: { points: prev(i) } }));
    const rows = parseCsv(breakdownCsv(points, withPrev, prev(9)));
    expect(rows[0]).toEqual(['series', 't', 'value', 'previous_t', 'previous_value']);
    expect(rows.slice(1).map((r) => [r[0], r[3], r[4]])).toEqual([
      ['', 'P0', '9'],
      ['', 'P1', ''],
      ['a,"b"', 'P0', '0'],
      ['a,"b"', 'P1', ''],
      ['$none', 'P0', '1'],
      ['$none', 'P1', ''],
    ]);
  });
});
