// Per-tenant token bucket counted in events, kept in Redis so every ingest process shares it.
import type Redis from 'ioredis';

/** Refills at `rate` tokens/s up to `burst`; takes `n` only if all fit. Returns {allowed, wait ms}. */
const TAKE = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if not tokens then tokens = burst; ts = now end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  ts = now
end
local allowed = 0
local wait = 0
if tokens >= n then
  tokens = tokens - n
  allowed = 1
else
  wait = math.ceil((n - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 60000)
return {allowed, wait}`;

export interface RateLimit {
  eventsPerSecond: number;
  burst: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

export function rateLimitKey(tenantId: string): string {
  return `{${tenantId}}:ratelimit`;
}

export function createRateLimiter(redis: Redis, limit: RateLimit, now: () => number) {
  const r = redis as Redis & { csTakeTokens?: (key: string, now: number, rate: number, burst: number, n: number) => Promise<[number, number]> };
  if (typeof r.csTakeTokens !== 'function') redis.defineCommand('csTakeTokens', { numberOfKeys: 1, lua: TAKE });
  return {
    async take(tenantId: string, events: number): Promise<RateDecision> {
      const [allowed, wait] = await r.csTakeTokens!(rateLimitKey(tenantId), now(), limit.eventsPerSecond, limit.burst, events);
      return allowed === 1 ? { allowed: true } : { allowed: false, retryAfterMs: wait };
    },
  };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;
