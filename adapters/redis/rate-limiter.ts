// Per-tenant token bucket counted in events, kept in Redis so every ingest process shares it. Requests of
// one tenant that arrive together are decided in one script call, in arrival order.
import type Redis from 'ioredis';
import type { RateDecision, RateGate } from '../../core/ingest';

/**
 * Refills at `rate` tokens/s up to `burst`, then decides each requested size in ARGV order: all of it is
 * taken or none. Returns a flat list {allowed, wait ms} per request.
 */
const TAKE_MANY = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if not tokens then tokens = burst; ts = now end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  ts = now
end
local out = {}
for i = 4, #ARGV do
  local n = tonumber(ARGV[i])
  if tokens >= n then
    tokens = tokens - n
    out[#out + 1] = 1
    out[#out + 1] = 0
  else
    out[#out + 1] = 0
    out[#out + 1] = math.ceil((n - tokens) * 1000 / rate)
  end
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 60000)
return out`;

export interface RateLimit {
  eventsPerSecond: number;
  burst: number;
}

export function rateLimitKey(tenantId: string): string {
  return `{${tenantId}}:ratelimit`;
}

interface Waiting {
  events: number;
  resolve: (d: RateDecision) => void;
  reject: (e: unknown) => void;
}

type ScriptedRedis = Redis & { csTakeMany?: (key: string, ...args: number[]) => Promise<number[]> };

export function createRateLimiter(redis: Redis, limit: RateLimit, now: () => number): RateGate {
  const r = redis as ScriptedRedis;
  if (typeof r.csTakeMany !== 'function') redis.defineCommand('csTakeMany', { numberOfKeys: 1, lua: TAKE_MANY });
  const waiting = new Map<string, Waiting[]>();

  async function decide(tenantId: string): Promise<void> {
    const batch = waiting.get(tenantId) ?? [];
    waiting.delete(tenantId);
    try {
      const out = await r.csTakeMany!(
        rateLimitKey(tenantId),
        now(),
        limit.eventsPerSecond,
        limit.burst,
        ...batch.map((w) => w.events),
      );
      batch.forEach((w, i) =>
        w.resolve(out[2 * i] === 1 ? { allowed: true } : { allowed: false, retryAfterMs: out[2 * i + 1]! }),
      );
    } catch (e) {
      for (const w of batch) w.reject(e);
    }
  }

  return {
    /** Takes `events` tokens for the tenant, all or nothing. */
    take(tenantId: string, events: number): Promise<RateDecision> {
      return new Promise((resolve, reject) => {
        const list = waiting.get(tenantId);
        if (list) list.push({ events, resolve, reject });
        else {
          waiting.set(tenantId, [{ events, resolve, reject }]);
          // Requests that arrive in the same turn of the event loop share one round trip.
          setImmediate(() => void decide(tenantId));
        }
      });
    },
  };
}
export type RateLimiter = RateGate;
