// The pipeline's freshness state in Redis: caught_up_through (never moves back), the newest check and its pending
// watermark snapshot. The one documented exception to "Redis keys start with {tenant_id}:" (docs/architecture.md#rule-5-tenant-in-every-key): this state
// belongs to a consumer group, not to a tenant, so its keys carry the hash tag {pipeline}. Like everything in Redis
// it can be lost: the next checks rebuild it, and until then data_as_of falls back to each tenant's own progress.
import type Redis from 'ioredis';
import { INITIAL_FRESHNESS, type FreshnessState } from '../../core/freshness';

const WRITE = `
local current = redis.call('HGET', KEYS[1], 'through')
if ARGV[1] ~= '' and (not current or tonumber(current) < tonumber(ARGV[1])) then
  redis.call('HSET', KEYS[1], 'through', ARGV[1])
end
redis.call('HSET', KEYS[1], 'check', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

const TTL_MS = 86_400_000;

export function freshnessKey(groupId: string, topic: string): string {
  return `{pipeline}:freshness:${encodeURIComponent(groupId)}:${encodeURIComponent(topic)}`;
}

type WithCommand = Redis & {
  csFreshnessWrite(key: string, through: string, check: string, ttlMs: number): Promise<number>;
};

export function createFreshnessStore(redis: Redis, groupId: string, topic: string) {
  const r = redis as WithCommand;
  if (typeof (redis as { csFreshnessWrite?: unknown }).csFreshnessWrite !== 'function') {
    redis.defineCommand('csFreshnessWrite', { numberOfKeys: 1, lua: WRITE });
  }
  const key = freshnessKey(groupId, topic);
  return {
    async read(): Promise<FreshnessState> {
      const [through, check] = await r.hmget(key, 'through', 'check');
      const parsed = check ? (JSON.parse(check) as Omit<FreshnessState, 'caughtUpThroughMs'>) : INITIAL_FRESHNESS;
      return { ...INITIAL_FRESHNESS, ...parsed, caughtUpThroughMs: through === null ? null : Number(through) };
    },
    async write(state: FreshnessState): Promise<void> {
      const { caughtUpThroughMs, ...check } = state;
      await r.csFreshnessWrite(
        key,
        caughtUpThroughMs === null ? '' : String(caughtUpThroughMs),
        JSON.stringify(check),
        TTL_MS,
      );
    },
  };
}
export type FreshnessStore = ReturnType<typeof createFreshnessStore>;
