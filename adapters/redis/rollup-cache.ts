// Redis cache of rollup values: keys start with {tenant_id}: (Redis Cluster hash tag); writes only if newer.
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { RollupKey, RollupValue } from '../../core/rollups';
import { INTERVAL_MS, type Interval } from '../../core/intervals';

/**
 * Per bucket field of a page (`<version> <value>`): sets each given bucket only when its stored version is older (or
 * absent), then refreshes the page's TTL if anything was set. ARGV: the TTL, then (field, version, value) triples.
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
if n > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/** Every page's fields in one round trip (a day of 1m is 25 pages). */
const READ_PAGES = `
local out = {}
for i, k in ipairs(KEYS) do out[i] = redis.call('HGETALL', k) end
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
function pagesOf(keys: readonly RollupKey[]): { page: number[]; names: string[] } {
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

export function progressKey(tenantId: string): string {
  return `{${tenantId}}:progress`;
}

type GuardedRedis = Redis & {
  csReadPages(numKeys: number, ...keys: string[]): Promise<string[][]>;
  csSetIfNewer(key: string, ttlMs: number, ...fieldVersionValue: (string | number)[]): Promise<number>;
  csSetIfGreater(key: string, value: number, ttlMs: number): Promise<number>;
};

export function createRollupCache(redis: Redis) {
  const r = redis as GuardedRedis;
  if (typeof (redis as { csSetIfNewer?: unknown }).csSetIfNewer !== 'function') {
    redis.defineCommand('csSetIfNewer', { numberOfKeys: 1, lua: SET_IF_NEWER });
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
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        args[page[i]!]!.push(rollupCacheField(v), v.version, v.text ?? String(v.value));
        ttl[page[i]!] = TTL_MS[v.interval];
      }
      const p = r.pipeline() as unknown as GuardedRedis & { exec(): Promise<[Error | null, unknown][] | null> };
      for (let n = 0; n < names.length; n++) p.csSetIfNewer(names[n]!, ttl[n]!, ...args[n]!);
      const results = await p.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    },
    /** Cached values, one per key in the keys' order (undefined: a miss). */
    async read(keys: readonly RollupKey[]): Promise<(CachedRollup | undefined)[]> {
      const out = new Array<CachedRollup | undefined>(keys.length);
      if (keys.length === 0) return out;
      const { page, names } = pagesOf(keys);
      // Pages of one tenant share its hash tag, so one script may read them all (also on Redis Cluster); long
      // reads go in slices so a single script never blocks Redis for long.
      const SLICE = 200;
      const fields: Map<string, string>[] = [];
      for (let start = 0; start < names.length; start += SLICE) {
        const slice = names.slice(start, start + SLICE);
        for (const flat of await r.csReadPages(slice.length, ...slice)) {
          const m = new Map<string, string>();
          for (let j = 0; j + 1 < flat.length; j += 2) m.set(flat[j]!, flat[j + 1]!);
          fields.push(m);
        }
      }
      for (let i = 0; i < keys.length; i++) {
        const entry = fields[page[i]!]!.get(rollupCacheField(keys[i]!));
        if (entry === undefined) continue;
        const space = entry.indexOf(' ');
        const text = entry.slice(space + 1);
        out[i] = { value: Number(text), text, version: Number(entry.slice(0, space)) };
      }
      return out;
    },
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
