// The local part of the rate limiter (leases, one bucket call per tenant at a time) against an in-memory bucket that
// decides like the Redis script; contract.integration.test.ts runs the real script.
import type { RateDecision } from '../../core/ingest';
import { createLeasedGate, type SharedBucket } from './rate-limiter';

/** The Redis script's rules in memory, with a log of what each call asked. */
function memoryBucket(limit: { eventsPerSecond: number; burst: number }, now: () => number) {
  let tokens = limit.burst;
  let ts = now();
  const calls: { giveBack: number; sizes: number[]; lease: number }[] = [];
  const bucket: SharedBucket = async (_tenant, giveBack, sizes, lease) => {
    calls.push({ giveBack, sizes, lease });
    const t = now();
    if (t > ts) {
      tokens = Math.min(limit.burst, tokens + ((t - ts) * limit.eventsPerSecond) / 1000);
      ts = t;
    }
    tokens = Math.min(limit.burst, tokens + giveBack);
    const decisions = sizes.map((n): RateDecision => {
      if (tokens >= n) {
        tokens -= n;
        return { allowed: true };
      }
      return { allowed: false, retryAfterMs: Math.ceil(((n - tokens) * 1000) / limit.eventsPerSecond) };
    });
    const leased = Math.max(0, Math.floor(Math.min(lease, tokens - limit.burst / 2)));
    tokens -= leased;
    return { decisions, leased };
  };
  return { bucket, calls, tokens: () => tokens };
}

/** Runs scheduled bucket calls only when the test says so. */
function manualSchedule() {
  const due: (() => void)[] = [];
  return {
    schedule: (fn: () => void) => void due.push(fn),
    run: async () => {
      while (due.length > 0) {
        due.shift()!();
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}

const limit = { eventsPerSecond: 1000, burst: 2000, leaseMs: 100, leaseTtlMs: 1000 };

/** A leased gate over an in-memory bucket, on a clock the test moves (`time.now`) and a schedule it runs. */
function leasedWorld(startMs: number, lim: typeof limit = limit) {
  const time = { now: startMs };
  const clock = () => time.now;
  const b = memoryBucket(lim, clock);
  const s = manualSchedule();
  return { time, clock, b, s, gate: createLeasedGate(b.bucket, lim, clock, s.schedule) };
}

describe('rate limiter leases', () => {
  it('decides requests that fit the lease locally, and asks the bucket again once it is used up', async () => {
    const { b, s, gate } = leasedWorld(1_000_000);

    const first = gate.take('t', 1);
    await s.run();
    expect(await first).toEqual({ allowed: true });
    expect(b.calls).toEqual([{ giveBack: 0, sizes: [1], lease: 100 }]);
    expect(b.tokens()).toBe(2000 - 1 - 100);

    // 100 events leased: 100 single events without a call, the 101st asks the bucket.
    for (let i = 0; i < 100; i++) expect(await gate.take('t', 1)).toEqual({ allowed: true });
    expect(b.calls).toHaveLength(1);
    const next = gate.take('t', 1);
    await s.run();
    expect(await next).toEqual({ allowed: true });
    expect(b.calls[1]).toEqual({ giveBack: 0, sizes: [1], lease: 100 });
  });

  it('gives back what is left of the lease before the bucket decides, so a refusal is the bucket’s', async () => {
    const { b, s, gate } = leasedWorld(5_000_000); // no refill: every token is counted

    const a = gate.take('t', 900);
    await s.run();
    expect(await a).toEqual({ allowed: true }); // 1100 left, 100 of them leased
    const big = gate.take('t', 150); // more than the lease: the lease goes back with this call
    await s.run();
    expect(await big).toEqual({ allowed: true });
    expect(b.calls[1]).toEqual({ giveBack: 100, sizes: [150], lease: 100 });
    // 950 left, under half the burst: no more leases, every request is decided in the bucket, exactly.
    expect(b.tokens()).toBe(950);
    const rest = gate.take('t', 950);
    const over = gate.take('t', 1);
    await s.run();
    expect(await rest).toEqual({ allowed: true });
    expect(await over).toEqual({ allowed: false, retryAfterMs: 1 });
    expect(b.tokens()).toBe(0);
  });

  it('does not use a lease after it expired; its tokens go back with the next call', async () => {
    const { time, b, s, gate } = leasedWorld(1_000_000);

    const first = gate.take('t', 1);
    await s.run();
    await first;
    expect(await gate.take('t', 10)).toEqual({ allowed: true }); // from the lease: 90 left of it
    time.now += 1_000; // the lease expires
    const late = gate.take('t', 1);
    await s.run();
    expect(await late).toEqual({ allowed: true });
    expect(b.calls).toHaveLength(2);
    expect(b.calls[1]).toEqual({ giveBack: 90, sizes: [1], lease: 100 });
  });

  it('makes one bucket call per tenant at a time; requests that came meanwhile are served from the new lease', async () => {
    const { b, s, gate, clock } = leasedWorld(1_000_000);

    const together = [gate.take('t', 3), gate.take('t', 4)];
    await s.run();
    expect(await Promise.all(together)).toEqual([{ allowed: true }, { allowed: true }]);
    expect(b.calls).toEqual([{ giveBack: 0, sizes: [3, 4], lease: 100 }]);

    // A slow bucket call: what arrives meanwhile waits for it, then takes from the lease it brings.
    let release!: () => void;
    const slowGate = createLeasedGate(
      async (...args) => {
        await new Promise<void>((r) => (release = r));
        return b.bucket(...args);
      },
      limit,
      clock,
      s.schedule,
    );
    const head = slowGate.take('u', 1);
    await s.run();
    const during = [slowGate.take('u', 5), slowGate.take('u', 6)];
    expect(b.calls).toHaveLength(1);
    release();
    expect(await Promise.all([head, ...during])).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
    expect(b.calls).toHaveLength(2);
    expect(b.calls[1]).toEqual({ giveBack: 0, sizes: [1], lease: 100 });
  });

  it('leases nothing with leaseMs 0: every request is decided in the bucket', async () => {
    const { b, s, gate } = leasedWorld(1_000_000, { ...limit, leaseMs: 0 });
    for (let i = 0; i < 3; i++) {
      const d = gate.take('t', 1);
      await s.run();
      expect(await d).toEqual({ allowed: true });
    }
    expect(b.calls.map((c) => c.lease)).toEqual([0, 0, 0]);
    expect(b.tokens()).toBe(1997);
  });

  it('fails the waiting requests when the bucket call fails, and asks again next time', async () => {
    const { b, s, clock } = leasedWorld(1_000_000);
    let fail = true;
    const gate = createLeasedGate(
      async (...args) => {
        if (fail) throw new Error('redis down (test)');
        return b.bucket(...args);
      },
      limit,
      clock,
      s.schedule,
    );
    const d = gate.take('t', 1);
    await s.run();
    await expect(d).rejects.toThrow('redis down');
    fail = false;
    const again = gate.take('t', 1);
    await s.run();
    expect(await again).toEqual({ allowed: true });
  });

  it('never admits more than the bucket across processes: burst + rate × time + the leases held at the start', async () => {
    const { time, b, s, clock } = leasedWorld(2_000_000);
    const processes = [0, 1, 2].map(() => createLeasedGate(b.bucket, limit, clock, s.schedule));
    const admitOne = async (p: number) => {
      const d = processes[p]!.take('t', 1);
      await s.run();
      return (await d).allowed;
    };
    // Each process takes one event and a lease of 100; the bucket is full again 400 ms later.
    for (let p = 0; p < 3; p++) expect(await admitOne(p)).toBe(true);
    time.now += 400;
    const held = 3 * 100;

    // An instant: they admit what the bucket holds plus the leases held, exactly, then refuse.
    let admitted = 0;
    for (let round = 0; round < 3_000; round++) if (await admitOne(round % 3)) admitted++;
    expect(admitted).toBe(limit.burst + held);
    expect(await admitOne(0)).toBe(false);

    // Time moving (1 ms every 3 requests): over the window, at most burst + rate × time + leases held at its start.
    time.now += 10_000;
    const start = time.now;
    for (let p = 0; p < 3; p++) await admitOne(p); // fresh leases of 100 each
    admitted = 0;
    for (let round = 0; round < 9_000; round++) {
      if (round % 3 === 0) time.now += 1;
      if (await admitOne(round % 3)) admitted++;
    }
    const bound = limit.burst + (limit.eventsPerSecond * (time.now - start)) / 1000 + held;
    expect(admitted).toBeLessThanOrEqual(bound);
    expect(admitted).toBeGreaterThan(limit.burst); // the bound is not idle: leases did admit beyond the bucket
  });
});
