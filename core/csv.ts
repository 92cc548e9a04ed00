// CSV text as RFC 4180 writes it, and the CSV form of a metrics answer (docs/api.md#csv). Pure.
import { stringify } from 'csv-stringify/sync';
import { badRequest } from './errors';

/**
 * Records as RFC 4180 text: fields quoted when they hold a quote, comma, CR or LF, quotes doubled, every record
 * ended by CRLF (a lone CR or LF inside a field is quoted too). csv-stringify (the csv project's writer, which also streams for the events export) does the
 * quoting.
 */
export function csvText(rows: readonly (readonly string[])[]): string {
  return stringify(
    rows.map((r) => [...r]),
    { record_delimiter: 'windows', eof: true, quoted_match: /[\r\n]/ },
  );
}

export const FORMATS = ['json', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

/** The answer's format; absent: json. */
export function parseFormat(raw: string | null): Format {
  if (raw === null) return 'json';
  if ((FORMATS as readonly string[]).includes(raw)) return raw as Format;
  throw badRequest(
    'invalid_parameter',
    `format=${JSON.stringify(raw.slice(0, 60))} is not supported; use format=json (the default) or format=csv.`,
  );
}

/** A point as the JSON answer has it: an ISO instant and a number, or null. */
export interface CsvPoint {
  t: string;
  value: number | null;
}

const cell = (v: number | null): string => (v === null ? '' : String(v));

/**
 * The points as CSV: a header `t,value`, one row per point; with a comparison, `previous_t,previous_value` columns
 * hold the previous range's point of the same position (both ranges have as many points). Null values are empty.
 */
export function metricCsv(points: readonly CsvPoint[], previous?: readonly CsvPoint[]): string {
  const header = previous ? ['t', 'value', 'previous_t', 'previous_value'] : ['t', 'value'];
  const rows = points.map((p, i) => {
    const row = [p.t, cell(p.value)];
    const q = previous?.[i];
    return previous ? [...row, q?.t ?? '', cell(q?.value ?? null)] : row;
  });
  return csvText([header, ...rows]);
}

/**
 * A breakdown as CSV (docs/api.md#csv): a `series` column first, the total's rows with an empty series cell, then each
 * series' rows in the answer's order; with a comparison, the previous columns as in metricCsv.
 */
export function breakdownCsv(
  points: readonly CsvPoint[],
  series: readonly { value: string; points: readonly CsvPoint[]; previous?: { points: readonly CsvPoint[] } }[],
  previous?: readonly CsvPoint[],
): string {
  const header = previous ? ['series', 't', 'value', 'previous_t', 'previous_value'] : ['series', 't', 'value'];
  const rowsOf = (name: string, ps: readonly CsvPoint[], prev?: readonly CsvPoint[]) =>
    ps.map((p, i) => {
      const row = [name, p.t, cell(p.value)];
      const q = prev?.[i];
      return previous ? [...row, q?.t ?? '', cell(q?.value ?? null)] : row;
    });
  return csvText([
    header,
    ...rowsOf('', points, previous),
    ...series.flatMap((s) => rowsOf(s.value, s.points, s.previous?.points)),
  ]);
}

/**
 * `<event_type>-<metric>.csv` with every character but ASCII letters, digits, `.`, `_` and `-` as `_` (at most
 * 100 characters before `.csv`), so it is safe in a Content-Disposition header and as a file name on any system.
 */
export function csvFilename(eventType: string, metric: string): string {
  const safe = `${eventType}-${metric}`.replace(/[^A-Za-z0-9._-]/gu, '_').slice(0, 100);
  return `${safe.replace(/^[.]+/, '_')}.csv`;
}
