// Load generators, both bounded in time: autocannon for "as fast as it goes" (closed loop, N connections),
// and a paced open-loop generator for latency at a fixed rate.
import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
import { percentile } from './stats';

export interface LoadTarget {
  url: string;
  path: string;
  headers: Record<string, string>;
  /** A fresh body per request. */
  body: () => string;
}

export interface MaxResult {
  /** 2xx responses per second over the measured window. */
  okPerSec: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
  statusCodes: Record<string, number>;
}

export async function cannon(t: LoadTarget, connections: number, durationS: number): Promise<autocannon.Result> {
  return autocannon({
    url: t.url,
    connections,
    duration: durationS,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: t.path,
        headers: t.headers,
        setupRequest: (req) => ({ ...req, body: t.body() }),
      },
    ],
  });
}

/** Closed-loop maximum: `connections` keep-alive connections, each sends its next request when the answer is in. */
export async function maxThroughput(
  t: LoadTarget,
  opts: { connections: number; durationS: number },
): Promise<MaxResult> {
  const r = await cannon(t, opts.connections, opts.durationS);
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = (v as { count: number }).count;
  return {
    okPerSec: r['2xx'] / r.duration,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    durationS: r.duration,
    statusCodes,
  };
}

/** Sums slices of the same target measured at different times. */
export function addMax(a: MaxResult | undefined, b: MaxResult): MaxResult {
  if (!a) return b;
  const statusCodes = { ...a.statusCodes };
  for (const [k, v] of Object.entries(b.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
  const ok = a.ok + b.ok;
  const durationS = a.durationS + b.durationS;
  return {
    okPerSec: ok / durationS,
    ok,
    non2xx: a.non2xx + b.non2xx,
    errors: a.errors + b.errors,
    timeouts: a.timeouts + b.timeouts,
    durationS,
    statusCodes,
  };
}

export interface PacedResult {
  rate: number;
  sent: number;
  ok: number;
  failed: number;
  /** Requests that could not even be sent in time (the generator gave up on the backlog). */
  dropped: number;
  /** ms, from the moment each request was due (includes any wait for a free connection). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Every 2xx latency, ms, sorted. */
  latencies: number[];
}

/**
 * Open loop at a fixed rate: request k is due at start + k/rate and its latency is counted from then,
 * so a stalled server cannot hide its queue (no coordinated omission). Up to `connections` keep-alive
 * connections; a request due while all are busy waits for one and that wait counts.
 * (autocannon's own rate limit sends each connection's budget back-to-back at the top of every
 * second, i.e. bursts at full speed, which is why it is not used here.)
 */
export async function pacedLatency(
  t: LoadTarget,
  opts: { rate: number; connections: number; durationS: number },
): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const total = Math.max(1, Math.round(opts.rate * opts.durationS));
  const latencies: number[] = [];
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let inFlight = 0;
  const target = new URL(t.path, t.url);
  const start = performance.now();
  const hardStop = start + (opts.durationS + 10) * 1000;
  const backlogCap = opts.connections * 200;

  const fire = (dueAt: number) => {
    const body = Buffer.from(t.body());
    inFlight++;
    const req = request(
      target,
      { method: 'POST', agent, headers: { ...t.headers, 'Content-Length': String(body.length) } },
      (res) => {
        res.resume();
        res.on('end', () => {
          inFlight--;
          if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
            ok++;
            latencies.push(performance.now() - dueAt);
          } else failed++;
        });
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      inFlight--;
      failed++;
    });
    req.end(body);
  };

  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) / 1000) * opts.rate) + 1);
      while (sent < due && inFlight < backlogCap) fire(start + (sent++ / opts.rate) * 1000);
      if (
        (sent >= total && inFlight === 0) ||
        now > hardStop ||
        (inFlight >= backlogCap && now > start + opts.durationS * 1000)
      )
        return resolve();
      setTimeout(tick, 1);
    };
    tick();
  });
  agent.destroy();
  return summarizeLatency(opts.rate, { sent, ok, failed, dropped: total - sent, latencies });
}

export function summarizeLatency(
  rate: number,
  r: { sent: number; ok: number; failed: number; dropped: number; latencies: number[] },
): PacedResult {
  const latencies = [...r.latencies].sort((a, b) => a - b);
  return {
    rate,
    sent: r.sent,
    ok: r.ok,
    failed: r.failed,
    dropped: r.dropped,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? NaN,
    latencies,
  };
}

/** Merges slices measured at the same rate at different times. */
export function addPaced(a: PacedResult | undefined, b: PacedResult): PacedResult {
  if (!a) return b;
  return summarizeLatency(b.rate, {
    sent: a.sent + b.sent,
    ok: a.ok + b.ok,
    failed: a.failed + b.failed,
    dropped: a.dropped + b.dropped,
    latencies: [...a.latencies, ...b.latencies],
  });
}
