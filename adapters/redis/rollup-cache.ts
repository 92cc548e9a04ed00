// Redis cache of rollup values: keys start with {tenant_id}: (Redis Cluster hash tag); writes only if newer.
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { RollupKey, RollupValue } from '../../core/rollups';
import { INTERVAL_MS, type Interval } from '../../core/intervals';

/**
 * The field of a page holding its token: a value never given to the page before, set by every write that changes
 * the page (SET_IF_NEWER). A reader that has seen a page under its token need not read it again while the token
 * holds (readWithPages' page memo). Bucket fields are numbers, so no bucket is ever named this.
 */
export const PAGE_TOKEN_FIELD = '~v';
/** The tenant's token counter outlives every page (the longest page TTL, 1d's); if it expires, the clock still differs. */
const TOKEN_COUNTER_TTL_MS = 401 * 86_400_000;

/**
 * Per bucket field of a page (`<version> <value>`): sets each given bucket only when its stored version is older (or
 * absent); if anything was set, gives the page a new token and refreshes its TTL. KEYS: the page, the tenant's token
 * counter. The token is Redis' clock and the counter: a page deleted and written again (or Redis emptied) never gets a
 * token it had before. ARGV: the TTL, then (field, version, value) triples.
 */
const SET_IF_NEWER = `
local n = 0
for i = 2, #ARGV, 3 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if not current or tonumber(string.match(current, '^%S+')) < tonumber(ARGV[i + 1]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1] .. ' ' .. ARGV[i + 2])
    n = n + 1
  end
end
if n > 0 then
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[1], '${PAGE_TOKEN_FIELD}', t[1] .. '.' .. t[2] .. '.' .. redis.call('INCR', KEYS[2]))
  redis.call('PEXPIRE', KEYS[2], ${TOKEN_COUNTER_TTL_MS})
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return n`;

/**
 * Each page's fields in one round trip (a day of 1m is 25 pages), or 0 for a page whose token is the one the reader
 * names for it in ARGV (it holds that page already). An empty array: no such page.
 */
const READ_PAGES = `
local out = {}
for i, k in ipairs(KEYS) do
  if ARGV[i] ~= '' and redis.call('HGET', k, '${PAGE_TOKEN_FIELD}') == ARGV[i] then out[i] = 0
  else out[i] = redis.call('HGETALL', k) end
end
return out`;

/** Moves a timestamp forward only. */
const SET_IF_GREATER = `
local current = redis.call('GET', KEYS[1])
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

const DAY = 86_400_000;
const TTL_MS: Record<Interval, number> = {
  '10s': DAY + 3_600_000,
  '1m': 2 * DAY,
  '5m': 7 * DAY,
  '1h': 35 * DAY,
  '1d': 400 * DAY,
};

/** Buckets per Redis hash ("page"): a series' buckets are kept 60 to a hash (1m: an hour), so a day of 1m is 25 reads. */
export const PAGE_BUCKETS = 60;

/** The start of the page that holds a bucket (zoned 1h/1d buckets too: a page is a span of time, not a count). */
export function pageStartMs(interval: Interval, bucketMs: number): number {
  const span = INTERVAL_MS[interval] * PAGE_BUCKETS;
  return Math.floor(bucketMs / span) * span;
}

/**
 * The Redis hash holding a bucket (its field: rollupCacheField). A 1h/1d page's key names the tenant's zone
 * generation after its first zone change (`1h~g2`): a zone change re-buckets those rows in Postgres, and the earlier
 * generations' entries are never read again, so no value bucketed in another zone (or in this zone before a round
 * trip through another) can be served (docs/architecture.md#time-zones).
 */
export function rollupCacheKey(k: RollupKey): string {
  const g = k.zoneGeneration ?? 0;
  const interval = g > 0 && (k.interval === '1h' || k.interval === '1d') ? `${k.interval}~g${g}` : k.interval;
  return `{${k.tenantId}}:rollup:${k.projectId}:${encodeURIComponent(k.metric)}:${interval}:${pageStartMs(k.interval, k.bucketMs)}:${encodeURIComponent(k.eventType)}`;
}

/** A bucket's field in its page: its start in ms. */
export const rollupCacheField = (k: Pick<RollupKey, 'bucketMs'>): string => String(k.bucketMs);

const sameSeries = (a: RollupKey, b: RollupKey) =>
  a.tenantId === b.tenantId &&
  a.projectId === b.projectId &&
  a.metric === b.metric &&
  a.interval === b.interval &&
  a.eventType === b.eventType &&
  (a.zoneGeneration ?? 0) === (b.zoneGeneration ?? 0) &&
  pageStartMs(a.interval, a.bucketMs) === pageStartMs(b.interval, b.bucketMs);

/** Each key's page, and the distinct pages in first-seen order (consecutive keys of a series share one name). */
export type PageLayout = { page: number[]; names: string[] };
function pagesOf(keys: readonly RollupKey[]): PageLayout {
  const page = new Array<number>(keys.length);
  const names: string[] = [];
  const index = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (i > 0 && sameSeries(keys[i - 1]!, k)) {
      page[i] = page[i - 1]!;
      continue;
    }
    const name = rollupCacheKey(k);
    let n = index.get(name);
    if (n === undefined) index.set(name, (n = names.push(name) - 1));
    page[i] = n;
  }
  return { page, names };
}

export interface CachedRollup {
  value: number;
  /** The exact decimal as stored. */
  text: string;
  version: number;
}

/**
 * A hash of checked answers of one tenant (`kind`: `pct` percentile values, `bd` breakdown rankings and parts), named by a
 * digest of what selects them; its fields are checked against Postgres versions on every read.
 */
export function checkedCacheKey(tenantId: string, kind: 'pct' | 'bd', selection: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(selection)).digest('hex').slice(0, 32);
  return `{${tenantId}}:${kind}:${digest}`;
}

/** The tenant's counter in its pages' tokens (SET_IF_NEWER). */
export function pageTokenCounterKey(tenantId: string): string {
  return `{${tenantId}}:pagetokens`;
}

export function progressKey(tenantId: string): string {
  return `{${tenantId}}:progress`;
}

type GuardedRedis = Redis & {
  csReadPages(numKeys: number, ...keysThenTokens: string[]): Promise<(string[] | 0)[]>;
  csSetIfNewer(
    key: string,
    counterKey: string,
    ttlMs: number,
    ...fieldVersionValue: (string | number)[]
  ): Promise<number>;
  csSetIfGreater(key: string, value: number, ttlMs: number): Promise<number>;
};

/** A page as read: its buckets' values and its token (null: none). */
type PageEntries = { token: string | null; buckets: Map<string, CachedRollup> };

function pageEntries(flat: string[]): PageEntries {
  const buckets = new Map<string, CachedRollup>();
  let token: string | null = null;
  for (let j = 0; j + 1 < flat.length; j += 2) {
    const field = flat[j]!;
    const entry = flat[j + 1]!;
    if (field === PAGE_TOKEN_FIELD) {
      token = entry;
      continue;
    }
    const space = entry.indexOf(' ');
    const text = entry.slice(space + 1);
    buckets.set(field, { value: Number(text), text, version: Number(entry.slice(0, space)) });
  }
  return { token, buckets };
}

/** What readWithPages read. */
export type PagesRead = {
  unchanged: false;
  cached: (CachedRollup | undefined)[];
  pages: string | null;
  layout: PageLayout;
};
/** readWithPages of keys read before: their pages are still those of that read. */
export type PagesUnchanged = { unchanged: true; pages: string; layout: PageLayout };

/**
 * Pages kept in this process under their tokens, least recently read first (a day of 1m is 25 pages; a page of 60
 * buckets holds about 8 kB: up to ~16 MB).
 */
const PAGE_MEMO_MAX = 2_000;

export function createRollupCache(redis: Redis) {
  const r = redis as GuardedRedis;
  // Pages this process has read, by name: used again while Redis says the page still has the token.
  const pageMemo = new Map<string, PageEntries>();
  /**
   * read(), with `pages`: the tokens of the pages read, in one string, equal on a later read only if no page read
   * was written in between (null when a page had no token: absent, or written before tokens existed), and `layout`,
   * the keys' pages. `known`: the layout and pages of an earlier read of the same keys; if the pages are still those,
   * the answer is `{ unchanged: true }` without the values (the caller has them).
   */
  async function readWithPages(keys: readonly RollupKey[]): Promise<PagesRead>;
  async function readWithPages(
    keys: readonly RollupKey[],
    known: { layout: PageLayout; pages: string },
  ): Promise<PagesRead | PagesUnchanged>;
  async function readWithPages(
    keys: readonly RollupKey[],
    known?: { layout: PageLayout; pages: string },
  ): Promise<PagesRead | PagesUnchanged> {
    const layout = known?.layout ?? pagesOf(keys);
    const { page, names } = layout;
    if (keys.length === 0) return { unchanged: false, cached: [], pages: '', layout };
    // Pages of one tenant share its hash tag, so one script may read them all (also on Redis Cluster); long
    // reads go in slices so a single script never blocks Redis for long.
    const SLICE = 200;
    const held: PageEntries[] = [];
    let tokens: string[] | null = [];
    for (let start = 0; start < names.length; start += SLICE) {
      const slice = names.slice(start, start + SLICE);
      const memo = slice.map((name) => pageMemo.get(name));
      const answers = await r.csReadPages(slice.length, ...slice, ...memo.map((m) => m?.token ?? ''));
      for (let j = 0; j < slice.length; j++) {
        const answer = answers[j]!;
        const entries = answer === 0 ? memo[j]! : pageEntries(answer);
        pageMemo.delete(slice[j]!);
        if (entries.token !== null) pageMemo.set(slice[j]!, entries); // (re)inserted: the most recently used last
        held.push(entries);
        if (entries.token === null) tokens = null;
        else tokens?.push(entries.token);
      }
    }
    while (pageMemo.size > PAGE_MEMO_MAX) pageMemo.delete(pageMemo.keys().next().value!);
    const pages = tokens && tokens.join(' ');
    if (known && pages === known.pages) return { unchanged: true, pages, layout };
    const cached = new Array<CachedRollup | undefined>(keys.length);
    for (let i = 0; i < keys.length; i++) cached[i] = held[page[i]!]!.buckets.get(rollupCacheField(keys[i]!));
    return { unchanged: false, cached, pages, layout };
  }

  if (typeof (redis as { csSetIfNewer?: unknown }).csSetIfNewer !== 'function') {
    redis.defineCommand('csSetIfNewer', { numberOfKeys: 2, lua: SET_IF_NEWER });
    redis.defineCommand('csSetIfGreater', { numberOfKeys: 1, lua: SET_IF_GREATER });
    redis.defineCommand('csReadPages', { lua: READ_PAGES });
  }
  return {
    /** Version-guarded writes: a stale value can never overwrite a newer one. One script call per page. */
    async write(values: RollupValue[]): Promise<void> {
      if (values.length === 0) return;
      const { page, names } = pagesOf(values);
      const args = names.map((): (string | number)[] => []);
      const ttl = names.map(() => 0);
      const counter = names.map(() => '');
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        args[page[i]!]!.push(rollupCacheField(v), v.version, v.text ?? String(v.value));
        ttl[page[i]!] = TTL_MS[v.interval];
        counter[page[i]!] = pageTokenCounterKey(v.tenantId);
      }
      const p = r.pipeline() as unknown as GuardedRedis & { exec(): Promise<[Error | null, unknown][] | null> };
      for (let n = 0; n < names.length; n++) p.csSetIfNewer(names[n]!, counter[n]!, ttl[n]!, ...args[n]!);
      const results = await p.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    },
    /** Cached values, one per key in the keys' order (undefined: a miss). */
    async read(keys: readonly RollupKey[]): Promise<(CachedRollup | undefined)[]> {
      return (await readWithPages(keys)).cached;
    },
    readWithPages,
    /**
     * Fields of one hash of checked answers (null where absent). Checked answers (percentile values, breakdown
     * rankings) carry the versions of the Postgres rows they were computed from; the reader compares them with the
     * versions it reads from Postgres in the same request, so a stale entry is never used, only recomputed
     * (docs/architecture.md#metrics-engine).
     */
    async readChecked(key: string, fields: string[]): Promise<(string | null)[]> {
      if (fields.length === 0) return [];
      return r.hmget(key, ...fields);
    },
    /** Sets fields of a hash of checked answers and its TTL (last writer wins: every entry is checked on read). */
    async writeChecked(key: string, entries: [string, string][], ttlMs: number): Promise<void> {
      if (entries.length === 0) return;
      const results = await r
        .multi()
        .hset(key, ...entries.flat())
        .pexpire(key, ttlMs)
        .exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    },
    async advanceProgress(tenantId: string, atMs: number): Promise<void> {
      await r.csSetIfGreater(progressKey(tenantId), atMs, 7 * DAY);
    },
    async readProgress(tenantId: string): Promise<number | null> {
      const v = await r.get(progressKey(tenantId));
      return v === null ? null : Number(v);
    },
  };
}
export type RollupCache = ReturnType<typeof createRollupCache>;
