// Per-tenant token bucket counted in events, kept in Redis so every ingest process shares it
// (docs/operations.md#the-rate-limit-and-its-leases). Requests of one tenant that arrive together are decided in one
// script call, in arrival order. While the bucket is well above half full, a call also leases the process a few
// tokens (up to `leaseMs` of the rate, usable for `leaseTtlMs`): the requests that fit the lease are decided locally,
// without a round trip. Unused lease tokens go back to the bucket with the next call, before anything is decided
// there, so a refusal is exactly the bucket's once both are empty.
import type Redis from 'ioredis';
import type { RateDecision, RateGate } from '../../core/ingest';

/**
 * Refills at `rate` tokens/s up to `burst`, takes back `giveBack` unused lease tokens (up to `burst`), then decides
 * each requested size in ARGV order: all of it is taken or none. Last, leases up to `lease` tokens, only of those above
 * half the burst. Returns a flat list {allowed, wait ms} per request, then the tokens leased.
 */
const TAKE_MANY = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local giveBack = tonumber(ARGV[4])
local lease = tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if not tokens then tokens = burst; ts = now end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  ts = now
end
tokens = math.min(burst, tokens + giveBack)
local out = {}
for i = 6, #ARGV do
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
local leased = math.floor(math.min(lease, tokens - burst / 2))
if leased < 0 then leased = 0 end
tokens = tokens - leased
out[#out + 1] = leased
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 60000)
return out`;

export interface RateLimit {
  eventsPerSecond: number;
  burst: number;
  /** A lease holds at most this many ms of the rate (0: every request is decided in Redis). Default 100. */
  leaseMs?: number;
  /** A lease's tokens are used for at most this long after it was granted. Default 1000. */
  leaseTtlMs?: number;
}

export function rateLimitKey(tenantId: string): string {
  return `{${tenantId}}:ratelimit`;
}

/** One call to the shared bucket (the script above, or a stand-in in unit tests). */
export type SharedBucket = (
  tenantId: string,
  giveBack: number,
  sizes: number[],
  lease: number,
) => Promise<{ decisions: RateDecision[]; leased: number }>;

interface Waiting {
  events: number;
  resolve: (d: RateDecision) => void;
  reject: (e: unknown) => void;
}

/** A tenant's state in this process: its lease and the requests waiting for the bucket. */
interface TenantState {
  tokens: number;
  expiresAt: number;
  waiting: Waiting[];
  /** A bucket call is scheduled or in flight: at most one per tenant, so a process holds at most one lease. */
  busy: boolean;
}

const ALLOWED: RateDecision = Object.freeze({ allowed: true });

/** The local part: leases, and the batching of a tenant's requests into one bucket call at a time. */
export function createLeasedGate(
  bucket: SharedBucket,
  limit: RateLimit,
  now: () => number,
  schedule: (fn: () => void) => void = setImmediate,
): RateGate {
  const leaseSize = Math.floor((limit.eventsPerSecond * (limit.leaseMs ?? 100)) / 1000);
  const ttl = limit.leaseTtlMs ?? 1_000;
  const tenants = new Map<string, TenantState>();

  /** Takes the head of the queue from the lease for as long as it fits. */
  function serveFromLease(s: TenantState): void {
    while (s.waiting.length > 0 && s.waiting[0]!.events <= s.tokens && now() < s.expiresAt) {
      const w = s.waiting.shift()!;
      s.tokens -= w.events;
      w.resolve(ALLOWED);
    }
  }

  async function decide(tenantId: string, s: TenantState): Promise<void> {
    const batch = s.waiting.splice(0);
    // Whatever is left of the lease (expired or not) goes back first: the bucket then decides as if never leased.
    const giveBack = s.tokens;
    s.tokens = 0;
    s.expiresAt = 0;
    try {
      const out = await bucket(
        tenantId,
        giveBack,
        batch.map((w) => w.events),
        leaseSize,
      );
      if (out.leased > 0) {
        s.tokens = out.leased;
        s.expiresAt = now() + ttl;
      }
      batch.forEach((w, i) => w.resolve(out.decisions[i]!));
    } catch (e) {
      for (const w of batch) w.reject(e);
    }
    s.busy = false;
    // Requests that came during the call: from the new lease if they fit, else the next call.
    serveFromLease(s);
    if (s.waiting.length > 0) start(tenantId, s);
    else if (s.tokens === 0) tenants.delete(tenantId);
  }

  function start(tenantId: string, s: TenantState): void {
    s.busy = true;
    // Requests that arrive in the same turn of the event loop share one round trip.
    schedule(() => void decide(tenantId, s));
  }

  return {
    /** Takes `events` tokens for the tenant, all or nothing. */
    take(tenantId: string, events: number): Promise<RateDecision> {
      let s = tenants.get(tenantId);
      if (s && s.waiting.length === 0 && events <= s.tokens && now() < s.expiresAt) {
        s.tokens -= events;
        return Promise.resolve(ALLOWED);
      }
      if (!s) {
        s = { tokens: 0, expiresAt: 0, waiting: [], busy: false };
        tenants.set(tenantId, s);
      }
      const state = s;
      return new Promise((resolve, reject) => {
        state.waiting.push({ events, resolve, reject });
        if (!state.busy) start(tenantId, state);
      });
    },
  };
}

type ScriptedRedis = Redis & { csTakeMany?: (key: string, ...args: number[]) => Promise<number[]> };

/** The bucket in Redis, shared by every process. */
export function redisBucket(redis: Redis, limit: RateLimit, now: () => number): SharedBucket {
  const r = redis as ScriptedRedis;
  if (typeof r.csTakeMany !== 'function') redis.defineCommand('csTakeMany', { numberOfKeys: 1, lua: TAKE_MANY });
  return async (tenantId, giveBack, sizes, lease) => {
    const out = await r.csTakeMany!(
      rateLimitKey(tenantId),
      now(),
      limit.eventsPerSecond,
      limit.burst,
      giveBack,
      lease,
      ...sizes,
    );
    const decisions = sizes.map((_, i): RateDecision =>
      out[2 * i] === 1 ? ALLOWED : { allowed: false, retryAfterMs: out[2 * i + 1]! },
    );
    return { decisions, leased: out[2 * sizes.length] ?? 0 };
  };
}

export function createRateLimiter(redis: Redis, limit: RateLimit, now: () => number): RateGate {
  return createLeasedGate(redisBucket(redis, limit, now), limit, now);
}
export type RateLimiter = RateGate;
