// `customersignal events export` end to end against the local runtime: it follows the cursors into a file (one CSV
// header), matches the HTTP export, resumes from a cursor by appending, and explains a refused request.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../test/child-process';
import { useTestEnv } from '../test/harness';
import { rawEvent } from '../test/builders';
import { planCountDeltas } from '../core/rollups';
import { CSV_HEADER } from '../core/event-export';

const HOUR = 3_600_000;
const { env, tenant, runtime } = useTestEnv('cliexport', { tenants: 1, runtime: { consumers: false } });
let dir: string;
const to = Math.floor(Date.now() / HOUR) * HOUR;
const from = to - HOUR;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cs-export-'));
  const events = Array.from({ length: 57 }, (_, i) =>
    rawEvent(tenant, {
      eventId: `cli-${String(i).padStart(3, '0')}`,
      eventType: i % 2 ? 'even' : 'odd',
      timestampMs: from + i * 1000,
      properties: { i, text: `line\r\n"${i}", ünïcødé 😀` },
    }),
  );
  await env.adapters.partitions.ensureFor(events.map((e) => e.timestampMs));
  await env.adapters.aggregateStore.writeBatch(events, (fresh, b) => planCountDeltas(fresh, undefined, b));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const cli = (...args: string[]) =>
  runCli(env.config, ['events', 'export', ...args], {
    CUSTOMERSIGNAL_URL: runtime.url,
    CUSTOMERSIGNAL_API_KEY: tenant.keys.read,
  });

async function httpExport(query: string): Promise<{ bodies: string[]; cursors: string[] }> {
  const bodies: string[] = [];
  const cursors: string[] = [];
  let path = `/v1/events/export?${query}`;
  for (let i = 0; i < 100; i++) {
    const res = await fetch(runtime.url + path, { headers: { Authorization: `Bearer ${tenant.keys.read}` } });
    expect(res.status).toBe(200);
    bodies.push(await res.text());
    const next = res.headers.get('x-next-cursor');
    if (!next) break;
    cursors.push(next);
    path = `/v1/events/export?cursor=${encodeURIComponent(next)}`;
  }
  return { bodies, cursors };
}

it('exports to a file following the cursors, as the HTTP pages say, with progress on stderr', async () => {
  const out = join(dir, 'all.ndjson');
  const res = await cli('--json', '--from', String(from), '--to', String(to), '--limit', '10', '--out', out);
  expect(res.code).toBe(0);
  const summary = JSON.parse(res.stdout);
  expect(summary).toEqual(expect.objectContaining({ rows: 57, pages: 6, complete: true, format: 'ndjson', out }));
  expect(res.stderr).toContain('export (% of range)');
  const http = await httpExport(`from=${from}&to=${to}&limit=10`);
  const text = await readFile(out, 'utf8');
  expect(text).toBe(http.bodies.join(''));
  expect(
    text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l).event_id),
  ).toEqual(Array.from({ length: 57 }, (_, i) => `cli-${String(i).padStart(3, '0')}`));
});

it('writes one CSV header, filters by event type, and resumes from a cursor by appending', async () => {
  const out = join(dir, 'odd.csv');
  const args = ['--from', new Date(from).toISOString(), '--to', new Date(to).toISOString(), '--event-type', 'odd'];
  const full = await cli(...args, '--format', 'csv', '--limit', '7', '--out', out);
  expect(full.code).toBe(0);
  const text = await readFile(out, 'utf8');
  expect(text.split(CSV_HEADER)).toHaveLength(2); // exactly one header, at the start
  expect(text.startsWith(CSV_HEADER)).toBe(true);
  const http = await httpExport(`from=${from}&to=${to}&event_type=odd&format=csv&limit=7`);
  expect(text).toBe(
    http.bodies[0] +
      http.bodies
        .slice(1)
        .map((b) => b.slice(CSV_HEADER.length))
        .join(''),
  );

  // An interrupted export: the first two pages are in the file; the cursor of the third resumes it.
  const resumed = join(dir, 'resumed.csv');
  await writeFile(resumed, http.bodies[0]! + http.bodies[1]!.slice(CSV_HEADER.length));
  const res = await cli('--cursor', http.cursors[1]!, '--out', resumed);
  expect(res.code).toBe(0);
  expect(await readFile(resumed, 'utf8')).toBe(text);
  // With the export's own parameters repeated, the same; to stdout without --out.
  const again = await cli(...args, '--format', 'csv', '--limit', '7', '--cursor', http.cursors[1]!);
  expect(again.code).toBe(0);
  expect(http.bodies[0]! + http.bodies[1]!.slice(CSV_HEADER.length) + again.stdout).toBe(text);
});

it('explains refused requests and prints the cursor to resume from', async () => {
  const missing = await cli('--to', String(to));
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain('give --from and --to');
  const bad = await cli('--from', String(to), '--to', String(from));
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('invalid_parameter: from must be earlier than to');
  const http = await httpExport(`from=${from}&to=${to}&limit=10`);
  const changed = await cli('--from', String(from), '--to', String(to), '--limit', '11', '--cursor', http.cursors[0]!);
  expect(changed.code).toBe(1);
  expect(changed.stderr).toContain('invalid_cursor');
  expect(changed.stderr).toContain(`resume with: --cursor ${http.cursors[0]}`);
});
