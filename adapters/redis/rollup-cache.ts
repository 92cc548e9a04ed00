// Redis cache of rollup values: keys start with {tenant_id}: (Redis Cluster hash tag); writes only if newer.
import { createHash } from 'node:crypto';
import type Redis from 'ioredis';
import type { RollupKey, RollupValue } from '../../core/rollups';
import type { Interval } from '../../core/intervals';

/** Sets value+version only when the stored version is older (or absent), then refreshes the TTL. */
const SET_IF_NEWER = `
local current = redis.call('HGET', KEYS[1], 'v')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'n', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

/** Every key's version and value in one round trip and one reply ('' where absent): cheaper than N HMGETs. */
const READ_MANY = `
local out = {}
for i, k in ipairs(KEYS) do
  local r = redis.call('HMGET', k, 'v', 'n')
  out[2 * i - 1] = r[1] or ''
  out[2 * i] = r[2] or ''
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

/**
 * A 1h/1d bucket's key names the tenant's zone generation after its first zone change (`1h~g2`): a zone change
 * re-buckets those rows in Postgres, and the earlier generations' entries are never read again, so no value bucketed
 * in another zone (or in this zone before a round trip through another) can be served (docs/architecture.md#time-zones).
 */
export function rollupCacheKey(k: RollupKey): string {
  const g = k.zoneGeneration ?? 0;
  const interval = g > 0 && (k.interval === '1h' || k.interval === '1d') ? `${k.interval}~g${g}` : k.interval;
  return `{${k.tenantId}}:rollup:${k.projectId}:${encodeURIComponent(k.metric)}:${interval}:${k.bucketMs}:${encodeURIComponent(k.eventType)}`;
}

/**
 * A hash of checked answers of one tenant (`kind`: `pct` percentile values, `rank` breakdown rankings), named by a
 * digest of what selects them; its fields are checked against Postgres versions on every read.
 */
export function checkedCacheKey(tenantId: string, kind: 'pct' | 'rank', selection: unknown): string {
  const digest = createHash('sha256').update(JSON.stringify(selection)).digest('hex').slice(0, 32);
  return `{${tenantId}}:${kind}:${digest}`;
}

export function progressKey(tenantId: string): string {
  return `{${tenantId}}:progress`;
}

type GuardedRedis = Redis & {
  csReadMany(numKeys: number, ...keys: string[]): Promise<string[]>;
  csSetIfNewer(key: string, version: number, value: string, ttlMs: number): Promise<number>;
  csSetIfGreater(key: string, value: number, ttlMs: number): Promise<number>;
};

export function createRollupCache(redis: Redis) {
  const r = redis as GuardedRedis;
  if (typeof (redis as { csSetIfNewer?: unknown }).csSetIfNewer !== 'function') {
    redis.defineCommand('csSetIfNewer', { numberOfKeys: 1, lua: SET_IF_NEWER });
    redis.defineCommand('csSetIfGreater', { numberOfKeys: 1, lua: SET_IF_GREATER });
    redis.defineCommand('csReadMany', { lua: READ_MANY });
  }
  return {
    /** Version-guarded writes: a stale value can never overwrite a newer one. */
    async write(values: RollupValue[]): Promise<void> {
      if (values.length === 0) return;
      const p = r.pipeline() as unknown as GuardedRedis & { exec(): Promise<[Error | null, unknown][] | null> };
      for (const v of values)
        p.csSetIfNewer(rollupCacheKey(v), v.version, v.text ?? String(v.value), TTL_MS[v.interval]);
      const results = await p.exec();
      const failed = results?.find(([err]) => err);
      if (failed) throw failed[0];
    },
    /** Cached values by key (`text`: the exact decimal as stored); absent keys are misses. */
    async read(keys: RollupKey[]): Promise<Map<string, { value: number; text: string; version: number }>> {
      const out = new Map<string, { value: number; text: string; version: number }>();
      if (keys.length === 0) return out;
      const names = keys.map(rollupCacheKey);
      // Keys of one tenant share its hash tag, so one script may read them all (also on Redis Cluster); long
      // reads go in slices so a single script never blocks Redis for long.
      const SLICE = 2_000;
      for (let start = 0; start < names.length; start += SLICE) {
        const slice = names.slice(start, start + SLICE);
        const flat = await r.csReadMany(slice.length, ...slice);
        for (let i = 0; i < slice.length; i++) {
          const v = flat[2 * i]!;
          const n = flat[2 * i + 1]!;
          if (v !== '' && n !== '') out.set(slice[i]!, { value: Number(n), text: n, version: Number(v) });
        }
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
