// `customersignal events export`: every event of a range through GET /v1/events/export (docs/api.md#export),
// following X-Next-Cursor page by page into a file or stdout, with progress on stderr; `--cursor` resumes an export
// (its snapshot and filters are in the cursor) and appends to --out.
import { open, type FileHandle } from 'node:fs/promises';
import type { Command } from 'commander';
import { config } from '../adapters/config';
import { CSV_HEADER } from '../core/event-export';
import { CliError } from './admin';
import type { CliContext } from './cli-dlq';
import { progress } from './progress';

interface ExportOptions {
  from?: string;
  to?: string;
  eventType?: string[];
  project?: string;
  userId?: string;
  sessionId?: string;
  prop?: string[];
  format?: string;
  limit?: string;
  out?: string;
  cursor?: string;
  url?: string;
  key?: string;
}

/** The first request's query: the options given (with --cursor they must be the export's own, or none). */
function firstQuery(o: ExportOptions): URLSearchParams {
  const q = new URLSearchParams();
  if (o.from !== undefined) q.set('from', o.from);
  if (o.to !== undefined) q.set('to', o.to);
  for (const t of o.eventType ?? []) q.append('event_type', t);
  if (o.project !== undefined) q.set('project', o.project);
  if (o.userId !== undefined) q.set('user_id', o.userId);
  if (o.sessionId !== undefined) q.set('session_id', o.sessionId);
  for (const p of o.prop ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new CliError(`--prop takes <path>=<value> (e.g. --prop plan.tier=pro); got "${p}"`);
    q.append(`prop.${p.slice(0, eq)}`, p.slice(eq + 1));
  }
  // With a cursor the format is the cursor's: sent only when starting, or when given (then it must be the same).
  if (o.cursor === undefined || o.format !== undefined) q.set('format', o.format ?? 'ndjson');
  if (o.limit !== undefined) q.set('limit', o.limit);
  if (o.cursor !== undefined) q.set('cursor', o.cursor);
  return q;
}

export function registerExportCommand(program: Command, cli: CliContext): void {
  const events = program.command('events').description('raw events');
  events
    .command('export')
    .description(
      'export the events of [from, to) exactly once (GET /v1/events/export), following its cursors until done; --cursor resumes',
    )
    .option('--from <time>', 'start of the range (ISO-8601 or epoch ms), required unless --cursor')
    .option('--to <time>', 'end of the range, exclusive; required unless --cursor')
    .option('--event-type <type...>', 'only these event types')
    .option('--project <slug>', 'only this project')
    .option('--user-id <id>', 'only this user')
    .option('--session-id <id>', 'only this session')
    .option('--prop <path=value...>', 'property filters, all must match (as prop.<path>=<value>)')
    .option('--format <format>', 'ndjson (default) or csv')
    .option('--limit <rows>', 'rows per page (1..10000)')
    .option('--out <file>', 'write to this file (appended to with --cursor); default stdout')
    .option('--cursor <cursor>', 'resume the export from this cursor (X-Next-Cursor, or the one printed on failure)')
    .option('--url <url>', 'API base URL (default: CUSTOMERSIGNAL_URL, else the local runtime)')
    .option('--key <key>', 'read API key (default: CUSTOMERSIGNAL_API_KEY)')
    .action(async (o: ExportOptions) => {
      if (o.cursor === undefined && (o.from === undefined || o.to === undefined))
        throw new CliError('give --from and --to (the range to export), or --cursor to resume an export');
      if (o.format !== undefined && o.format !== 'ndjson' && o.format !== 'csv')
        throw new CliError(`--format must be ndjson or csv; got "${o.format}"`);
      const key = o.key ?? process.env.CUSTOMERSIGNAL_API_KEY;
      if (!key) throw new CliError('give a read key with --key or CUSTOMERSIGNAL_API_KEY');
      const base = (
        o.url ??
        process.env.CUSTOMERSIGNAL_URL ??
        `http://${config().http.host === '0.0.0.0' ? '127.0.0.1' : config().http.host}:${config().http.port}`
      ).replace(/\/+$/, '');
      const file: FileHandle | null = o.out ? await open(o.out, o.cursor ? 'a' : 'w') : null;
      const write = async (text: string) => {
        if (file) await file.write(text);
        else if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
      };
      const bar = progress('export (% of range)', 100);
      let shown = 0;
      let next: string | null = null;
      let path = `/v1/events/export?${firstQuery(o).toString()}`;
      let pages = 0;
      let rows = 0;
      let cutoff = '';
      let format: string;
      try {
        for (;;) {
          let res: Response;
          try {
            res = await fetch(base + path, { headers: { Authorization: `Bearer ${key}` } });
          } catch (e) {
            throw new CliError(`cannot reach ${base}: ${(e as Error).message}`);
          }
          const body = await res.text();
          if (res.status !== 200) {
            let message = body.slice(0, 500);
            try {
              const parsed = JSON.parse(body) as { error?: { code?: string; message?: string } };
              if (parsed.error) message = `${parsed.error.code}: ${parsed.error.message}`;
            } catch {
              /* not the error envelope */
            }
            throw new CliError(`the API answered ${res.status} (${message})`);
          }
          format = res.headers.get('content-type')?.startsWith('text/csv') ? 'csv' : 'ndjson';
          // One CSV header per export: a fresh export keeps the first page's, a resumed one (appending) none.
          const text =
            format === 'csv' && (pages > 0 || o.cursor !== undefined) && body.startsWith(CSV_HEADER)
              ? body.slice(CSV_HEADER.length)
              : body;
          await write(text);
          pages += 1;
          rows += Number(res.headers.get('x-export-rows') ?? 0);
          cutoff = res.headers.get('x-export-cutoff') ?? cutoff;
          const percent = Math.floor(Number(res.headers.get('x-export-progress') ?? 0) * 100);
          if (percent > shown) {
            bar.advance(percent - shown);
            shown = percent;
          }
          next = res.headers.get('x-next-cursor');
          if (res.headers.get('x-export-complete') === 'true' || next === null) break;
          path = `/v1/events/export?cursor=${encodeURIComponent(next)}`;
        }
        bar.done();
      } catch (e) {
        bar.done();
        const resume = next ?? o.cursor;
        if (e instanceof CliError && resume)
          throw new CliError(`${e.message}; resume with: --cursor ${resume}${o.out ? ` --out ${o.out}` : ''}`);
        throw e;
      } finally {
        await file?.close();
      }
      const summary = { rows, pages, cutoff, format, complete: true, out: o.out ?? null };
      const text = `exported ${rows} events in ${pages} pages (snapshot ${cutoff})${o.out ? ` to ${o.out}` : ''}`;
      // Without --out the events are on stdout: the summary goes to stderr.
      if (o.out) cli.print(cli.out(), summary, text);
      else process.stderr.write((cli.out().json ? JSON.stringify(summary) : text) + '\n');
    });
}
