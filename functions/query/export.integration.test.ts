// GET /v1/events/export against the real services (docs/api.md#export, docs/architecture.md#event-export): every event
// stored by the snapshot's cutoff exactly once while writes continue (HTTP ingest through Kafka and direct batches),
// a batch that straddles the cutoff, resumption, both formats parsed back against the stored table, page bounds,
// and bad input as a 400.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { useTestEnv, eventually } from '../../test/harness';
import { call, rawEvent } from '../../test/builders';
import { storedEvents, storedIdsAtCutoff } from '../../test/reads';
import { csvRecords } from '../../test/csv-records';
import type { TestTenant } from '../../test/harness';
import { planCountDeltas } from '../../core/rollups';
import { EXPORT_COLUMNS, EXPORT_MAX_PAGE_BYTES, envelopeBytes } from '../../core/event-export';
import { lockTenantExclusive } from '../../adapters/postgres/rollup-lock';
import type { Sql } from '../../adapters/postgres/client';
import type { RawEvent } from '../../core/raw-event';
import { decodeCursor } from '../../core/cursor';

const HOUR = 3_600_000;
const { env, tenants, runtime } = useTestEnv('export', {
  overrides: { RATE_LIMIT_EVENTS_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000' },
  tenants: 3,
  runtime: true,
});
const [one, two, three] = tenants;

interface Page {
  status: number;
  headers: Headers;
  text: string;
}

async function get(key: string, query: string): Promise<Page> {
  const res = await fetch(`${runtime.url}/v1/events/export?${query}`, { headers: { Authorization: `Bearer ${key}` } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

interface Export {
  pages: Page[];
  /** The cursor each page was asked with (null for the first). */
  asked: (string | null)[];
  cutoff: string;
  body: string;
}

/** Follows the cursors until the export says it is complete (at most 2 000 pages). */
async function exportAll(
  key: string,
  query: string,
  opts: { cursor?: string; afterFirst?: () => Promise<void> } = {},
): Promise<Export> {
  const pages: Page[] = [];
  const asked: (string | null)[] = [];
  let cursor = opts.cursor ?? null;
  for (let i = 0; i < 2000; i++) {
    const p = await get(key, cursor ? `cursor=${encodeURIComponent(cursor)}` : query);
    if (p.status !== 200) throw new Error(`page ${i}: ${p.status} ${p.text.slice(0, 300)}`);
    pages.push(p);
    asked.push(cursor);
    if (i === 0) await opts.afterFirst?.();
    const complete = p.headers.get('x-export-complete') === 'true';
    cursor = p.headers.get('x-next-cursor');
    expect(complete).toBe(cursor === null);
    if (complete) break;
    expect(p.headers.get('link')).toBe(`</v1/events/export?cursor=${cursor}>; rel="next"`);
  }
  expect(pages[pages.length - 1]!.headers.get('x-export-complete')).toBe('true');
  const cutoffs = new Set(pages.map((p) => p.headers.get('x-export-cutoff')));
  expect(cutoffs.size).toBe(1);
  return { pages, asked, cutoff: [...cutoffs][0]!, body: pages.map((p) => p.text).join('') };
}

interface Item {
  event_id: string;
  event_type: string;
  project: string;
  timestamp: string;
  received_at: string;
  user_id: string | null;
  session_id: string | null;
  properties: Record<string, unknown>;
  context: Record<string, unknown> | null;
}

const ndjsonItems = (text: string): Item[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Item);

/** CSV pages (each with its header) as the same items. */
function csvItems(pages: Page[]): Item[] {
  return pages.flatMap((p) => {
    const [header, ...rows] = csvRecords(p.text);
    expect(header).toEqual([...EXPORT_COLUMNS]);
    return rows.map((r) => {
      expect(r).toHaveLength(EXPORT_COLUMNS.length);
      const [
        event_id,
        event_type,
        project,
        timestamp,
        received_at,
        user_id,
        session_id,
        properties,
        context,
        anonymous_id,
      ] = r;
      return {
        event_id: event_id!,
        event_type: event_type!,
        project: project!,
        timestamp: timestamp!,
        received_at: received_at!,
        user_id: user_id === '' ? null : user_id!,
        session_id: session_id === '' ? null : session_id!,
        properties: JSON.parse(properties!) as Record<string, unknown>,
        context: context === '' ? null : (JSON.parse(context!) as Record<string, unknown>),
        anonymous_id: anonymous_id === '' ? null : anonymous_id!,
      };
    });
  });
}

const key = (i: Item) => [i.timestamp, i.event_id] as const;
function expectOrdered(items: Item[]): void {
  for (let i = 1; i < items.length; i++) {
    const [a, b] = [key(items[i - 1]!), key(items[i]!)];
    expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
  }
}

/** Writes a batch the way the aggregate step does (the real write path, its locks and stamps). */
async function writeBatch(t: TestTenant, events: RawEvent[]): Promise<void> {
  await env.adapters.partitions.ensureFor(events.map((e) => e.timestampMs));
  await env.adapters.aggregateStore.writeBatch(events, (fresh, b) => planCountDeltas(fresh, undefined, b));
}

/** Lone surrogates as U+FFFD (String.prototype.toWellFormed, which the compile target lacks). */
const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
const ids = (items: Item[]) => items.map((i) => i.event_id);
const sorted = (xs: string[]) => [...xs].sort();

describe('while writes continue', () => {
  const to = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
  const from = to - 2 * HOUR;
  const range = `from=${from}&to=${to}`;
  // Few distinct timestamps: many events share one, so event_id decides their order.
  const tsIn = (i: number) => from + (i % 97) * 60_000 + (i % 3);
  let counter = 0;
  const batch = (t: TestTenant, n: number, tag: string) =>
    Array.from({ length: n }, () => {
      const i = counter++;
      return rawEvent(
        { id: t.id, project: t.project },
        { eventId: `${tag}-${i}`, eventType: 'flow', timestampMs: tsIn(i) },
      );
    });

  let first: Export;
  let stored: { by: string[]; after: string[] };
  let stopped = false;
  const accepted: string[] = [];
  let loops: Promise<void>[] = [];
  /** Batches each writer has finished: w1, w2, http. */
  const written = [0, 0, 0];

  beforeAll(async () => {
    // Before the export: in the range, and just outside it on both sides.
    for (let b = 0; b < 12; b++) await writeBatch(one, batch(one, 40, 'seed'));
    await writeBatch(one, [
      rawEvent({ id: one.id, project: one.project }, { eventId: 'before-from', timestampMs: from - 1 }),
      rawEvent({ id: one.id, project: one.project }, { eventId: 'at-to', timestampMs: to }),
    ]);
    // During the export: two direct writers and HTTP ingest through Kafka, all into the same range.
    const direct = async (tag: string, w: number) => {
      for (let n = 0; n < 400 && !stopped; n++) {
        await writeBatch(one, batch(one, 7, tag));
        written[w]! += 1;
      }
    };
    const ingest = async () => {
      for (let n = 0; n < 400 && !stopped; n++) {
        const events = Array.from({ length: 5 }, () => {
          const i = counter++;
          return { event_type: 'flow', project: 'web', event_id: `http-${i}`, timestamp: tsIn(i) };
        });
        const res = await call(runtime.url, '/v1/events', { key: one.keys.ingest, json: { events } });
        expect(res.status).toBe(202);
        accepted.push(...events.map((e) => e.event_id));
        written[2]! += 1;
      }
    };
    loops = [direct('w1', 0), direct('w2', 1), ingest()];
    // Each writer has stored something before the export starts (HTTP ingest: through Kafka and the aggregate step).
    await eventually(async () => {
      if (written.some((n) => n === 0)) return undefined;
      const rows = await storedEvents(env.adapters.sql, one.id, { eventIds: accepted.slice(0, 1) });
      return rows.length === 1 ? true : undefined;
    }, 60_000);
    first = await exportAll(one.keys.read, `${range}&limit=23`, {
      afterFirst: async () => {
        // Certainly after the cutoff, in the range: never part of this export.
        await writeBatch(one, batch(one, 3, 'post'));
        // Every writer goes on writing into the range while the export pages on: two more batches each at least.
        const seen = [...written];
        await eventually(async () => (written.every((n, w) => n >= seen[w]! + 2) ? true : undefined), 60_000);
      },
    });
  }, 180_000);

  afterAll(async () => {
    stopped = true;
    await Promise.all(loops);
  });

  it('lists every event stored by the cutoff exactly once, in (timestamp, event_id) order, and nothing later', async () => {
    stopped = true;
    await Promise.all(loops);
    // Everything accepted over HTTP is stored before the table is compared.
    await eventually(
      async () => {
        const rows = await storedEvents(env.adapters.sql, one.id, { eventIds: accepted });
        return rows.length === accepted.length ? true : undefined;
      },
      60_000,
      250,
    );
    stored = await storedIdsAtCutoff(env.adapters.sql, one.id, from, to, first.cutoff);
    const items = ndjsonItems(first.body);
    expectOrdered(items);
    expect(new Set(ids(items)).size).toBe(items.length); // none twice
    expect(sorted(ids(items))).toEqual(sorted(stored.by)); // every one stored by the cutoff, nothing after it
    expect(stored.after.length).toBeGreaterThanOrEqual(3); // writes did continue into the range (the 'post' batch at least)
    expect(stored.after.filter((id) => id.startsWith('post-'))).toHaveLength(3);
    for (const tag of ['w1-', 'w2-', 'http-']) {
      expect({ tag, before: stored.by.some((id) => id.startsWith(tag)) }).toEqual({ tag, before: true });
      expect({ tag, after: stored.after.some((id) => id.startsWith(tag)) }).toEqual({ tag, after: true });
    }
    expect(first.pages.length).toBeGreaterThan(10);
    // Progress: rows add up, the fraction grows to 1 and the position to `to`.
    const last = first.pages[first.pages.length - 1]!;
    expect(Number(last.headers.get('x-export-done'))).toBe(items.length);
    expect(last.headers.get('x-export-progress')).toBe('1.0000');
    expect(last.headers.get('x-export-position')).toBe(new Date(to).toISOString());
    const fractions = first.pages.map((p) => Number(p.headers.get('x-export-progress')));
    expect([...fractions].sort((a, b) => a - b)).toEqual(fractions);
    expect(first.pages.slice(0, -1).every((p) => Number(p.headers.get('x-export-rows')) === 23)).toBe(true);
  });

  it('resumed from a cursor mid-way, gives the same rest of the export (same snapshot)', async () => {
    const mid = Math.floor(first.pages.length / 2);
    const cursor = first.asked[mid]!;
    const rest = await exportAll(one.keys.read, '', { cursor });
    expect(rest.cutoff).toBe(first.cutoff);
    expect(rest.body).toBe(
      first.pages
        .slice(mid)
        .map((p) => p.text)
        .join(''),
    );
    // With the same parameters repeated the cursor is accepted too; with others it is a 400.
    expect((await get(one.keys.read, `${range}&limit=23&cursor=${encodeURIComponent(cursor)}`)).status).toBe(200);
    const changed = await get(one.keys.read, `${range}&limit=24&cursor=${encodeURIComponent(cursor)}`);
    expect(changed.status).toBe(400);
    expect(JSON.parse(changed.text).error.code).toBe('invalid_cursor');
  });

  it("shows another tenant none of these events, and refuses this tenant's cursor to it", async () => {
    const other = await exportAll(two.keys.read, range);
    expect(other.body).toBe('');
    const res = await get(two.keys.read, `cursor=${encodeURIComponent(first.asked[1]!)}`);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error.code).toBe('invalid_cursor');
  });
});

describe('a batch in flight at the cutoff', () => {
  // Each holds one transaction open until released.
  function hold(fn: (tx: Sql) => Promise<void>): { held: Promise<void>; release: () => void; done: Promise<void> } {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let heldNow!: () => void;
    const held = new Promise<void>((r) => (heldNow = r));
    const done = env.adapters.sql.begin(async (tx) => {
      await fn(tx as unknown as Sql);
      heldNow();
      await gate;
    });
    return { held, release, done: done.then(() => undefined) };
  }
  const waitingAdvisoryLocks = async () => {
    const [row] = await env.adapters.sql<{ n: number }[]>`
      select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`;
    return row!.n;
  };

  const ev = (id: string, ts: number) =>
    rawEvent({ id: three.id, project: three.project }, { eventId: id, timestampMs: ts });

  /**
   * Runs `firstPage` while a batch of `straddling` is in flight across its snapshot: the batch's transaction starts
   * before the snapshot is taken, and commits only after the first page has been read. Returns that first page.
   */
  async function acrossFirstPage<T>(firstPage: () => Promise<T>, straddling: RawEvent): Promise<T> {
    // 1. The tenant's rollup lock held exclusively (as a rebuild chunk would): the snapshot waits behind it.
    const lock = hold((tx) => lockTenantExclusive(tx, three.id));
    await lock.held;
    const page = firstPage();
    await eventually(async () => ((await waitingAdvisoryLocks()) === 1 ? true : undefined));
    // 2. A batch whose transaction starts now, queued behind the snapshot; it will stop before its commit
    //    (tenant_progress's row held) while page 1 is read.
    const progressRow = hold(async (tx) => {
      await tx`select 1 from tenant_progress where tenant_id = ${three.id} for update`;
    });
    await progressRow.held;
    const batch = writeBatch(three, [straddling]);
    await eventually(async () => ((await waitingAdvisoryLocks()) === 2 ? true : undefined));
    // 3. Release: the snapshot is taken, then the batch inserts (stamped after it) and waits; page 1 is read.
    lock.release();
    await lock.done;
    const first = await page;
    progressRow.release();
    await progressRow.done;
    await batch;
    return first;
  }

  it('is either committed before the cutoff and listed, or stamped after it and not: never half', async () => {
    const to = Math.floor(Date.now() / HOUR) * HOUR - 4 * HOUR;
    const from = to - HOUR;
    await writeBatch(
      three,
      Array.from({ length: 30 }, (_, i) => ev(`base-${i}`, from + 1000 + i)),
    );
    // The straddling event comes before every other one of the range: page 1 passes its position.
    const page1 = await acrossFirstPage(
      () => get(three.keys.read, `from=${from}&to=${to}&limit=5`),
      ev('straddle', from),
    );
    expect(page1.status).toBe(200);
    const rest = await exportAll(three.keys.read, '', { cursor: page1.headers.get('x-next-cursor')! });
    const items = ndjsonItems(page1.text + rest.body);
    const stored = await storedIdsAtCutoff(env.adapters.sql, three.id, from, to, page1.headers.get('x-export-cutoff')!);
    expect(stored.after).toEqual(['straddle']);
    expect(sorted(ids(items))).toEqual(sorted(stored.by));
    expect(items).toHaveLength(30);
  }, 60_000);

  it('the explorer pins its first page the same way: the straddling event is in every page or none', async () => {
    const to = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR;
    const from = to - HOUR;
    await writeBatch(
      three,
      Array.from({ length: 12 }, (_, i) => ev(`xbase-${i}`, from + 1000 + i)),
    );
    type ExplorerPage = { status: number; body: { events: Item[]; next_cursor: string | null } };
    const list = (cursor: string | null): Promise<ExplorerPage> =>
      call(runtime.url, `/v1/events?from=${from}&to=${to}&limit=5${cursor ? `&cursor=${cursor}` : ''}`, {
        key: three.keys.read,
      });
    // Newest first: the straddling event is the newest of the range, so page 1 passes its position.
    const page1 = await acrossFirstPage(() => list(null), ev('xstraddle', to - 1));
    expect(page1.status).toBe(200);
    const seen = [...page1.body.events];
    let cursor = page1.body.next_cursor;
    for (let i = 0; i < 20 && cursor; i++) {
      const p = await list(cursor);
      seen.push(...p.body.events);
      cursor = p.body.next_cursor;
    }
    const pinnedAt = decodeCursor(page1.body.next_cursor!).pinnedAt;
    const stored = await storedIdsAtCutoff(env.adapters.sql, three.id, from, to, pinnedAt);
    expect(stored.after).toEqual(['xstraddle']);
    expect(sorted(ids(seen))).toEqual(sorted(stored.by));
  }, 60_000);
});

describe('formats', () => {
  const now = Date.now();
  let oldest = 0;
  let newest = 0;
  let sent: { event_type: string; event_id: string; [k: string]: unknown }[] = [];
  const range = () => `from=${oldest}&to=${newest + 1}&event_type=shape`;

  beforeAll(async () => {
    // The edges of what ingest accepts: the retention window's start and the allowed clock skew.
    oldest = now - env.config.limits.retentionMs + 10 * 60_000;
    newest = now + env.config.limits.maxFutureSkewMs - 10 * 60_000;
    // Every code point but NUL; lone surrogates become U+FFFD (ingest refuses what Postgres cannot store).
    const text = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => wellFormed(s).replaceAll('\u0000', ''));
    const props = fc.dictionary(
      fc.constantFrom('名前', 'ключ', 'emoji😀', 'é', 'a"b,c', 'x\u0301', 'plain', 'قيمة'),
      fc.oneof(
        text,
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.constantFrom(0.1, 1e308, -1.5e-300, 2 ** 64, true, false, null),
        fc.array(text, { maxLength: 3 }),
        fc.dictionary(fc.constantFrom('k', 'ü', '\u{1F600}'), text, { maxKeys: 2 }),
      ),
      { maxKeys: 6 },
    );
    const generated = fc.sample(props, { numRuns: 40, seed: 17 });
    const maxBytes = env.config.limits.maxPropertiesBytes;
    // Just under the properties limit, in 2-, 3- and 4-byte characters, with quotes and line breaks for CSV.
    const big = (ch: string) => {
      const overhead = Buffer.byteLength(JSON.stringify({ big: '"\r\n' }));
      const room = maxBytes - overhead - 8;
      return { big: `"\r\n${ch.repeat(Math.floor(room / Buffer.byteLength(ch)))}` };
    };
    const timestamps = [oldest, oldest, newest, newest, now];
    sent = [
      ...generated.map((p, i) => ({
        event_type: 'shape',
        project: 'web',
        event_id: `shape-${i}-${randomUUID()}`,
        timestamp: timestamps[i % timestamps.length],
        user_id: i % 3 === 0 ? null : i % 3 === 1 ? `=HYPERLINK("x",${i})` : `用户 ${i}, "q"`,
        session_id: i % 2 === 0 ? null : `+s-${i}`,
        properties: p,
      })),
      ...['é', '€', '😀'].map((ch, i) => ({
        event_type: 'shape',
        project: 'web',
        event_id: `big-${i}`,
        timestamp: timestamps[i],
        properties: big(ch),
      })),
    ];
    for (let i = 0; i < sent.length; i += 10) {
      const res = await call(runtime.url, '/v1/events', {
        key: one.keys.ingest,
        json: { events: sent.slice(i, i + 10) },
      });
      expect(res.status).toBe(202);
      expect(res.body.rejected).toBe(0);
    }
    await eventually(
      async () => {
        const rows = await storedEvents(env.adapters.sql, one.id, { eventType: 'shape' });
        return rows.length === sent.length ? true : undefined;
      },
      60_000,
      250,
    );
  }, 120_000);

  it('ndjson and csv parse back to the stored events, in the shape of GET /v1/events items', async () => {
    const nd = await exportAll(one.keys.read, `${range()}&limit=7`);
    const csv = await exportAll(one.keys.read, `${range()}&limit=7&format=csv`);
    expect(csv.pages[0]!.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(nd.pages[0]!.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const fromNd = ndjsonItems(nd.body);
    const fromCsv = csvItems(csv.pages);
    expect(fromNd).toHaveLength(sent.length);
    expect(fromCsv).toEqual(fromNd);
    expectOrdered(fromNd);
    // Against the stored table.
    const rows = new Map(
      (await storedEvents(env.adapters.sql, one.id, { eventType: 'shape' })).map((r) => [r.event_id, r]),
    );
    for (const item of fromNd) {
      const row = rows.get(item.event_id)!;
      expect({
        id: item.event_id,
        ts: item.timestamp,
        user: item.user_id,
        props: item.properties,
        ctx: item.context,
      }).toEqual({
        id: row.event_id,
        ts: row.ts.toISOString(),
        user: row.user_id,
        props: row.properties,
        ctx: row.context,
      });
    }
    // The same items the explorer lists (it pages newest first).
    const explored: Item[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 100; i++) {
      const res: { body: { events: Item[]; next_cursor: string | null } } = await call(
        runtime.url,
        `/v1/events?${range()}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
        { key: one.keys.read },
      );
      explored.push(...res.body.events);
      cursor = res.body.next_cursor;
      if (!cursor) break;
    }
    expect(explored.reverse()).toEqual(fromNd);
  });

  it('filters as the explorer does: several types, user, session, project and property filters', async () => {
    const explore = async (query: string) => {
      const out: Item[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 100; i++) {
        const res: { status: number; body: { events: Item[]; next_cursor: string | null } } = await call(
          runtime.url,
          `/v1/events?${query}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
          { key: one.keys.read },
        );
        expect(res.status).toBe(200);
        out.push(...res.body.events);
        cursor = res.body.next_cursor;
        if (!cursor) break;
      }
      return ids(out.reverse());
    };
    const withText = sent.find((e) =>
      Object.values(e.properties as Record<string, unknown>).some((v) => typeof v === 'string' && v !== ''),
    )!;
    const [propKey, propValue] = Object.entries(withText.properties as Record<string, unknown>).find(
      ([, v]) => typeof v === 'string' && v !== '',
    )! as [string, string];
    const enc = encodeURIComponent;
    const queries = [
      `${range()}&event_type=nope&project=web`,
      `${range()}&user_id=${enc(String(sent[1]!.user_id))}`,
      `${range()}&session_id=${enc(String(sent[1]!.session_id))}`,
      `${range()}&prop.${enc(propKey)}=${enc(propValue)}`,
      `${range()}&event_type=nope&prop.${enc(propKey)}=${enc(propValue)}&user_id=${enc(String(withText.user_id))}`,
    ];
    for (const q of queries) {
      const exported = ndjsonItems((await exportAll(one.keys.read, `${q}&limit=2`)).body);
      const expected = await explore(q);
      expect({ q, ids: ids(exported) }).toEqual({ q, ids: expected });
    }
    // And the checks are not vacuous: each of the first four finds something.
    for (const q of queries.slice(0, 4)) expect((await explore(q)).length).toBeGreaterThan(0);
  });

  it('answers pages of at most 4 MB (as the Lambda envelope counts), splitting big events across pages', async () => {
    const to = Math.floor(Date.now() / HOUR) * HOUR - 8 * HOUR;
    const from = to - HOUR;
    const filler = '"\\'.repeat(8000); // escaped in the envelope: every character counts twice
    const events = Array.from({ length: 150 }, (_, i) =>
      rawEvent(
        { id: one.id, project: one.project },
        { eventId: `heavy-${i}`, eventType: 'heavy', timestampMs: from + i, properties: { filler } },
      ),
    );
    for (let i = 0; i < events.length; i += 25) await writeBatch(one, events.slice(i, i + 25));
    for (const format of ['ndjson', 'csv']) {
      const out = await exportAll(one.keys.read, `from=${from}&to=${to}&format=${format}`);
      expect(out.pages.length).toBeGreaterThan(1);
      for (const p of out.pages) expect(envelopeBytes(p.text)).toBeLessThanOrEqual(EXPORT_MAX_PAGE_BYTES);
      const items = format === 'csv' ? csvItems(out.pages) : ndjsonItems(out.body);
      expect(ids(items)).toEqual(events.map((e) => e.eventId)); // their timestamps are in this order
    }
  });
});

describe('bad input is a 400, never a 5xx', () => {
  const to = Date.now();
  const from = to - HOUR;
  let cursor: string;
  beforeAll(async () => {
    await writeBatch(
      one,
      Array.from({ length: 3 }, (_, i) =>
        rawEvent({ id: one.id, project: one.project }, { eventId: `bad-${i}`, timestampMs: from + i }),
      ),
    );
    const p = await get(one.keys.read, `from=${from}&to=${to}&limit=1`);
    cursor = p.headers.get('x-next-cursor')!;
    expect(cursor).toBeTruthy();
  });

  const expect400 = async (query: string, code: string) => {
    const res = await get(one.keys.read, query);
    expect({ query, status: res.status }).toEqual({ query, status: 400 });
    expect(JSON.parse(res.text).error.code).toBe(code);
  };

  it('refuses missing, malformed and contradictory parameters', async () => {
    await expect400('', 'invalid_parameter');
    await expect400(`from=${from}`, 'invalid_parameter');
    await expect400(`to=${to}&event_type=x`, 'invalid_parameter');
    await expect400(`from=${to}&to=${from}`, 'invalid_parameter');
    await expect400(`from=${from}&to=${to}&format=json`, 'invalid_parameter');
    await expect400(`from=${from}&to=${to}&limit=0`, 'invalid_parameter');
    await expect400(`from=${from}&to=${to}&limit=10001`, 'invalid_parameter');
    await expect400(`from=${from}&from=${from}&to=${to}`, 'invalid_parameter');
    await expect400(`from=${from}&to=99999-01-01`, 'invalid_parameter');
    await expect400(`from=${from}&to=${to}&user_id=%00`, 'invalid_parameter');
    await expect400(`cursor=${encodeURIComponent(cursor)}&format=csv`, 'invalid_cursor');
    await expect400(`cursor=${encodeURIComponent(cursor)}&from=${from}&to=${to}&event_type=x`, 'invalid_cursor');
  });

  it('refuses every altered, truncated or extended cursor', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/% ';
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: cursor.length - 1 }),
        fc.constantFrom(...alphabet),
        fc.constantFrom('replace', 'delete', 'insert', 'truncate'),
        async (at, ch, how) => {
          const altered =
            how === 'replace'
              ? cursor.slice(0, at) + ch + cursor.slice(at + 1)
              : how === 'delete'
                ? cursor.slice(0, at) + cursor.slice(at + 1)
                : how === 'insert'
                  ? cursor.slice(0, at) + ch + cursor.slice(at)
                  : cursor.slice(0, at);
          if (altered === cursor || altered === '') return;
          const res = await get(one.keys.read, `cursor=${encodeURIComponent(altered)}`);
          expect({ altered, status: res.status }).toEqual({ altered, status: 400 });
        },
      ),
      { numRuns: 60, seed: 4242 },
    );
  });

  it('answers any query string with 200 or a 4xx', async () => {
    const name = fc.constantFrom(
      'from',
      'to',
      'format',
      'limit',
      'cursor',
      'event_type',
      'project',
      'user_id',
      'prop.a.b',
      'prop.',
    );
    const value = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom(
        String(from),
        String(to),
        '0',
        '-62135596800000',
        '253402300799999',
        '1e3',
        'ndjson',
        'csv',
        cursor,
      ),
      fc.integer().map(String),
    );
    // Lone surrogates and NUL included: encoded as their UTF-8 (a lone surrogate becomes U+FFFD) or raw percent bytes.
    const pct = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(name, value, fc.boolean()), { maxLength: 6 }), async (pairs) => {
        const query = pairs
          .map(([n, v, raw]) => `${n}=${raw ? pct(v) : encodeURIComponent(v.replace(/[\ud800-\udfff]/g, ''))}`)
          .join('&');
        const res = await get(one.keys.read, query);
        expect({ query, status: res.status < 500 }).toEqual({ query, status: true });
        if (res.status !== 200) expect(JSON.parse(res.text).error.code).toMatch(/^[a-z_]+$/);
      }),
      { numRuns: 80, seed: 99 },
    );
  });
});
