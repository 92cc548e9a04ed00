// The chaos run: steady ingest from several SDK producers while faults are injected one at a time; after each
// fault the time until the platform is whole again; at the end every acknowledged event exactly once in the raw
// store, every rollup equal to a recomputation, every alert notification delivered, and only 503/429 (or connection
// errors while the ingest server was down) seen by the producers.
import { randomUUID } from 'node:crypto';
import { startCluster, type Cluster } from './cluster';
import { startProducers, type Producers } from './producers';
import type { Fault, FaultContext, Plan } from './faults';
import { startWebhookReceiver, type WebhookReceiver } from '../webhook-receiver';
import { metricMismatches } from '../recompute';
import { insertRule } from '../../adapters/postgres/alert-rules-store';
import type { Sql } from '../../adapters/postgres/client';
import type { TestTenant } from '../harness';

export interface Row {
  fault: string;
  acked: number;
  stored: number;
  lost: number;
  doubleCounted: number;
  downS?: number;
  recoveryS?: number;
}

export interface ChaosResult {
  ok: boolean;
  failures: string[];
  rows: Row[];
  notes: string[];
  table: string;
  elapsedS: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ALERT_TYPE = 'chaos_alert';

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e; // the service under test may be down: keep asking
    }
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not within ${timeoutMs / 1000} s${last ? ` (last error: ${(last as Error).message})` : ''}`,
      );
    await sleep(250);
  }
}

/** How many of `ids` are in the raw store. Ids found once are remembered in `known` (the raw store is append-only). */
async function storedOf(sql: Sql, tenantId: string, ids: string[], known = new Set<string>()): Promise<number> {
  const todo = ids.filter((id) => !known.has(id));
  for (let i = 0; i < todo.length; i += 20_000) {
    // A join on unnest (hashed), not `= any($array)`: that one compares every row with the whole array.
    const found = await sql<{ event_id: string }[]>`
      select distinct e.event_id from events e join unnest(${sql.array(todo.slice(i, i + 20_000))}::text[]) as a(id) on e.event_id = a.id
      where e.tenant_id = ${tenantId}`;
    for (const r of found) known.add(r.event_id);
  }
  return ids.filter((id) => known.has(id)).length;
}

export function formatTable(rows: Row[]): string {
  const head = ['fault', 'events acked', 'events stored', 'lost', 'double-counted', 'down (s)', 'recovery (s)'];
  const body = rows.map((r) => [
    r.fault,
    String(r.acked),
    String(r.stored),
    String(r.lost),
    String(r.doubleCounted),
    r.downS === undefined ? '–' : r.downS.toFixed(1),
    r.recoveryS === undefined ? '–' : r.recoveryS.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(head),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}

export async function runChaos(
  plan: Plan,
  opts: { log?: (line: string) => void; keepLogsIn?: string } = {},
): Promise<ChaosResult> {
  const log = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const started = Date.now();
  const failures: string[] = [];
  const notes: string[] = [];
  let cluster: Cluster | undefined;
  let hooks: WebhookReceiver | undefined;
  let producers: Producers | undefined;
  let alertTimer: NodeJS.Timeout | undefined;
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s]`;
  const say = (l: string) => log(`${stamp()} ${l}`);
  const rows: Row[] = [];

  const cleanup = async (keep?: string) => {
    if (alertTimer) clearInterval(alertTimer);
    await cluster?.destroy(keep);
    await hooks?.stop();
  };
  const onSignal = () => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    say(`chaos (${plan.name}): starting own Kafka, Postgres and Redis on free ports and the roles as processes…`);
    hooks = await startWebhookReceiver();
    cluster = await startCluster({ log: (l) => say(`  ${l}`) });
    const c = cluster;
    const { env } = c;
    const sql = env.adapters.sql;
    const tenant: TestTenant = await env.createTenant();
    // One rule fed by bursts all through the run, and one per fault that aims at a firing in flight.
    const alertTypes = [ALERT_TYPE, ...plan.faults.flatMap((f) => (f.alertType ? [f.alertType] : []))];
    for (const eventType of alertTypes) {
      // A 10s window is the current 10 s bucket only: a notice read after its bucket ended finds the window empty and
      // the rule does not fire. On a loaded machine the way from a burst to its notice (the SDK's flush, aggregation,
      // the alert group, rejoins after faults) can take longer than what is left of the bucket for every burst of a
      // run: one chaos run's ALERT_TYPE rule never fired with a 10s window. So every rule watches 30 s, which still
      // holds its burst however late (within reason) the notice is read.
      const window = '30s';
      await insertRule(sql, tenant.id, randomUUID(), null, {
        name: `chaos ${eventType}`,
        event_type: eventType,
        metric: 'count',
        condition: { op: '>', threshold: 0 },
        window,
        for: '0s',
        cooldown: '0s',
        enabled: true,
        channels: [{ type: 'webhook', url: hooks.url, secret: 'whsec_chaos_suite_secret' }],
      } as never);
    }
    say(
      `cluster up in ${((Date.now() - started) / 1000).toFixed(0)} s (${c.url}); ${plan.producers} producers at ${plan.eventsPerSecond} events/s`,
    );

    producers = startProducers({
      url: c.url,
      key: tenant.keys.ingest,
      project: tenant.project.slug,
      producers: plan.producers,
      eventsPerSecond: plan.eventsPerSecond,
    });
    const p = producers;
    const bursts: number[] = [];
    const alertBurst = () => {
      bursts.push(Date.now());
      p.burst(ALERT_TYPE, 2);
    };
    alertBurst();
    alertTimer = setInterval(alertBurst, plan.alertEveryMs);
    const phaseNames: string[] = ['none (steady ingest)'];
    const timing: { downS?: number; recoveryS?: number }[] = [{}];
    const ingestDown: { from: number; to: number }[] = [];
    const faultStarts: { name: string; t0: number }[] = [];
    const injectedAt = new Map<string, number>();
    await sleep(plan.steadyMs);

    const knownStored = new Set<string>();
    const pendingNotifications = async () => {
      const [row] = await sql<
        { n: number }[]
      >`select count(*)::int as n from notifications where tenant_id = ${tenant.id} and status <> 'delivered'`;
      return row!.n;
    };

    const ctx: FaultContext = {
      cluster: c,
      hooks,
      burst: (t, n) => p.burst(t, n),
      storedOfType: (t, n) =>
        until(`${n} events of ${t} stored`, 90_000, async () => {
          const [row] = await sql<
            { n: number }[]
          >`select count(*)::int as n from events where tenant_id = ${tenant.id} and event_type = ${t}`;
          return row!.n >= n ? true : undefined;
        }).then(() => undefined),
      until: (what, ms, check) =>
        until(what, ms, async () => ((await check()) ? true : undefined)).then(() => undefined),
    };

    async function runFault(
      cl: Cluster,
      fault: Fault,
    ): Promise<{ downS: number; recoveryS: number; window?: { from: number; to: number } }> {
      say(`fault: ${fault.name}`);
      const t0 = Date.now();
      faultStarts.push({ name: fault.name, t0 });
      void cl;
      await fault.inject(ctx);
      if (fault.alertType) injectedAt.set(fault.alertType, Date.now());
      await sleep(fault.downMs);
      const tRepair = Date.now();
      await fault.repair(ctx);
      const repaired = Date.now();
      say(`  repaired (${((repaired - tRepair) / 1000).toFixed(1)} s to restart); waiting until whole again…`);
      const ackedBefore = [...p.ledger.acked.keys()];
      // What is still missing, for the message when recovery does not come.
      let missing = 'nothing checked yet';
      await until(`recovery after ${fault.name}`, 180_000, async () => {
        const ackedAfter = [...p.ledger.acked].filter(([, t]) => t > repaired).map(([id]) => id);
        if (ackedAfter.length === 0) {
          missing = `no 202 since the repair (${p.stats().acked} acked in all, statuses ${JSON.stringify([...p.ledger.statuses])}, ${p.ledger.connectionErrors.length} connection errors)`;
          return undefined;
        }
        const stored = await storedOf(sql, tenant.id, ackedBefore, knownStored);
        if (stored !== ackedBefore.length) {
          missing = `${stored} of the ${ackedBefore.length} events acked before the repair in the raw store`;
          return undefined;
        }
        // The events acked before the repair may all have been stored before the fault (a broker stop refuses new
        // ones): whole again also means that what arrives after the repair flows through.
        if ((await storedOf(sql, tenant.id, ackedAfter, knownStored)) === 0) {
          missing = `none of the ${ackedAfter.length} events acked since the repair in the raw store yet`;
          return undefined;
        }
        const pending = await pendingNotifications();
        missing = `${pending} alert notifications not delivered`;
        return pending === 0 ? true : undefined;
      }).catch((e: Error) => {
        throw new Error(`${e.message}; still missing: ${missing}`);
      });
      const recoveryS = (Date.now() - tRepair) / 1000;
      say(`  whole again ${recoveryS.toFixed(1)} s after the repair began (${p.stats().acked} acked so far)`);
      return {
        downS: (tRepair - t0) / 1000,
        recoveryS,
        ...(fault.ingestDown && { window: { from: t0, to: repaired } }),
      };
    }

    for (const [i, fault] of plan.faults.entries()) {
      const phase = i + 1;
      phaseNames.push(fault.name);
      p.setPhase(phase);
      const res = await runFault(c, fault);
      timing.push(res);
      if (res.window) ingestDown.push(res.window);
      await sleep(plan.steadyMs);
    }

    // Drain: the producers deliver everything queued (they retry for as long as it takes).
    p.setPhase(plan.faults.length + 1);
    phaseNames.push('final drain');
    timing.push({});
    clearInterval(alertTimer);
    alertTimer = undefined;
    say('stopping the producers and waiting for every queued event…');
    await Promise.race([
      p.stop(),
      sleep(120_000).then(() => failures.push('producers did not deliver their queues within 120 s')),
    ]);
    const { ledger } = p;
    const acked = [...ledger.acked.keys()];
    say(
      `producers done: ${ledger.tracked.size} tracked, ${acked.length} acked; checking the raw store, rollups and alerts…`,
    );

    await until('every acked event in the raw store', 120_000, async () =>
      (await storedOf(sql, tenant.id, acked, knownStored)) === acked.length ? true : undefined,
    ).catch((e: Error) => failures.push(e.message));
    const mismatches = await until('rollups equal to a recomputation from raw events', 60_000, async () => {
      const m = await metricMismatches(sql, tenant.id);
      return m.rollups === 0 && m.sketches === 0 ? m : undefined;
    }).catch(async (e: Error) => {
      const m = await metricMismatches(sql, tenant.id);
      failures.push(
        `${e.message}: ${m.rollups} rollup rows and ${m.sketches} sketches differ, e.g. ${JSON.stringify(m.sample.slice(0, 3))}`,
      );
      return m;
    });
    void mismatches;
    await until('every alert notification delivered', 90_000, async () =>
      (await pendingNotifications()) === 0 ? true : undefined,
    ).catch((e: Error) => failures.push(e.message));

    // Per phase: what was acked, what is stored, what is lost, what is counted more than once.
    const storedRows = await sql<
      { event_id: string; event_type: string }[]
    >`select event_id, event_type from events where tenant_id = ${tenant.id}`;
    const storedCount = new Map<string, number>();
    for (const r of storedRows) storedCount.set(r.event_id, (storedCount.get(r.event_id) ?? 0) + 1);
    const rollupRows = await sql<{ event_type: string; n: string }[]>`
      select event_type, sum(value)::text as n from rollups where tenant_id = ${tenant.id} and metric = 'count' and interval = '1d' group by 1`;
    const rollupCount = new Map(rollupRows.map((r) => [r.event_type, Number(r.n)]));
    const phaseOf = (t: string) => (t.startsWith('chaos_p') ? Number(t.slice('chaos_p'.length)) : -1);
    const rowFor = (
      name: string,
      match: (phase: number) => boolean,
      t: { downS?: number; recoveryS?: number },
    ): Row => {
      let ack = 0;
      let stored = 0;
      let extraRaw = 0;
      for (const id of acked) {
        const tr = ledger.tracked.get(id)!;
        if (!match(phaseOf(tr.eventType))) continue;
        ack++;
        const n = storedCount.get(id) ?? 0;
        if (n > 0) stored++;
        if (n > 1) extraRaw += n - 1;
      }
      const types = [...rollupCount.keys()].filter((et) => match(phaseOf(et)));
      const distinctStored = [...new Set(storedRows.filter((r) => match(phaseOf(r.event_type))).map((r) => r.event_id))]
        .length;
      const counted = types.reduce((n, et) => n + rollupCount.get(et)!, 0);
      return {
        fault: name,
        acked: ack,
        stored,
        lost: ack - stored,
        doubleCounted: extraRaw + Math.max(0, counted - distinctStored),
        ...t,
      };
    };
    phaseNames.forEach((name, phase) => rows.push(rowFor(name, (ph) => ph === phase, timing[phase] ?? {})));
    rows.push(rowFor('alert-rule events (all phases)', (ph) => ph === -1, {}));
    rows.push(rowFor('total', () => true, {}));

    const total = rows[rows.length - 1]!;
    if (total.lost > 0) failures.push(`${total.lost} acknowledged events are missing from the raw store`);
    if (total.doubleCounted > 0) failures.push(`${total.doubleCounted} events counted more than once`);
    const neverAcked = ledger.tracked.size - acked.length;
    if (neverAcked > 0) failures.push(`${neverAcked} tracked events were never acknowledged`);
    const strays = [...storedCount.keys()].filter((id) => !ledger.acked.has(id)).length;
    if (strays > 0) notes.push(`${strays} stored events never got a 202 (their outcome was "unknown" to the producer)`);

    // What the producers saw.
    const statuses = [...ledger.statuses.entries()].sort((a, b) => a[0] - b[0]);
    const bad = statuses.filter(([s]) => s !== 503 && s !== 429);
    if (bad.length > 0)
      failures.push(`producers saw statuses other than 202/503/429: ${bad.map(([s, n]) => `${s}×${n}`).join(', ')}`);
    const GRACE = 2_000;
    const strayConn = ledger.connectionErrors.filter(
      (e) => !ingestDown.some((w) => e.atMs >= w.from - GRACE && e.atMs <= w.to + GRACE),
    );
    const during = (atMs: number) => {
      const f = [...faultStarts].reverse().find((x) => x.t0 <= atMs);
      return f ? `${((atMs - f.t0) / 1000).toFixed(1)} s after "${f.name}"` : 'before the first fault';
    };
    if (strayConn.length > 0)
      failures.push(
        `${strayConn.length} connection errors while the ingest server was up: ${strayConn
          .slice(0, 5)
          .map((e) => `${e.message} (${during(e.atMs)})`)
          .join('; ')}`,
      );
    if (ledger.sdkErrors.length > 0)
      failures.push(
        `the SDK reported ${ledger.sdkErrors.length} delivery problems, e.g. ${ledger.sdkErrors[0]!.code}: ${ledger.sdkErrors[0]!.message}`,
      );
    notes.push(
      `producer answers besides 202: ${statuses.map(([s, n]) => `${s}×${n}`).join(', ') || 'none'}; connection errors: ${ledger.connectionErrors.length} (all while the ingest server was down: ${strayConn.length === 0 ? 'yes' : 'no'})`,
    );

    // Alerts: every notification delivered, the receiver saw each delivery id.
    const notifications = await sql<
      { id: string; status: string }[]
    >`select id, status from notifications where tenant_id = ${tenant.id}`;
    const seen = new Set(hooks.received.map((h) => String(h.headers['x-customersignal-delivery'])));
    const unseen = notifications.filter((n) => !seen.has(n.id));
    if (notifications.length === 0) failures.push('the alert rule never fired');
    const fired = await sql<{ event_type: string; n: number }[]>`
      select r.spec->>'event_type' as event_type, count(n.id)::int as n
      from alert_rules r left join notifications n on n.tenant_id = r.tenant_id and n.rule_id = r.id
      where r.tenant_id = ${tenant.id} group by 1`;
    const silent = fired.filter((f) => f.n === 0).map((f) => f.event_type);
    // The first notification of the rule on `eventType`, when it was delivered, and its most attempts.
    const firstNotification = async (eventType: string) =>
      (
        await sql<{ created: Date | null; delivered: Date | null; attempts: number | null }[]>`
          select min(n.created_at) as created, min(n.delivered_at) as delivered, max(n.attempts) as attempts from notifications n
          join alert_rules r on r.tenant_id = n.tenant_id and r.id = n.rule_id where n.tenant_id = ${tenant.id} and r.spec->>'event_type' = ${eventType}`
      )[0];
    const steady = await firstNotification(ALERT_TYPE);
    notes.push(
      `${ALERT_TYPE}: ${bursts.length} bursts; first notification ${steady?.created ? `${((steady.created.getTime() - bursts[0]!) / 1000).toFixed(1)} s after the first burst` : 'never'}`,
    );
    for (const [eventType, at] of injectedAt) {
      const first = await firstNotification(eventType);
      if (first?.created) {
        const rel = (d: Date) => `${((d.getTime() - at) / 1000).toFixed(1)} s`;
        notes.push(
          `${eventType}: notification created ${rel(first.created)} and delivered ${first.delivered ? rel(first.delivered) : 'never'} relative to the SIGKILL (${first.attempts} attempts)`,
        );
      }
    }
    if (silent.length > 0) failures.push(`alert rules that never notified: ${silent.join(', ')}`);
    // A notice seen twice (after a kill) must not make a second transition: states alternate per rule.
    const [repeated] = await sql<{ n: number }[]>`
      select count(*)::int as n from (
        select to_state, lag(to_state) over (partition by rule_id order by seq) as prev from alert_history where tenant_id = ${tenant.id}
      ) h where to_state = prev`;
    if (repeated!.n > 0)
      failures.push(`${repeated!.n} alert transitions repeat the previous state (a notice handled twice?)`);
    if (unseen.length > 0)
      failures.push(`${unseen.length} of ${notifications.length} notifications never reached the receiver`);
    const undelivered = notifications.filter((n) => n.status !== 'delivered');
    if (undelivered.length > 0)
      failures.push(
        `${undelivered.length} notifications not delivered: ${undelivered.map((n) => n.status).join(', ')}`,
      );
    notes.push(
      `alert notifications: ${notifications.length} (${notifications.length - undelivered.length} delivered), receiver saw ${hooks.received.length} requests with ${seen.size} distinct delivery ids`,
    );

    // Infrastructure failures are retried, never dead-lettered.
    const [attempts] = await sql<{ n: number }[]>`select count(*)::int as n from record_attempts`;
    if (attempts!.n > 0)
      failures.push(`${attempts!.n} records have failed attempts counted (infrastructure failures must not count)`);
    const admin = env.adapters.kafka.admin();
    await admin.connect();
    const dlq = await admin.fetchTopicOffsets(env.config.kafka.topics.eventsDlq);
    await admin.disconnect();
    const dead = dlq.reduce((n, o) => n + Number(o.high), 0);
    if (dead > 0) failures.push(`${dead} records dead-lettered`);
    notes.push(
      `record_attempts: ${attempts!.n}, dead letters: ${dead}, rollup/sketch mismatches: ${mismatches.rollups}/${mismatches.sketches}`,
    );
  } catch (e) {
    failures.push(`the run stopped: ${(e as Error).stack ?? String(e)}`);
    // The producers may be retrying against a dead server: give them a moment, no more (the caller exits).
    if (producers) await Promise.race([producers.stop(), sleep(2_000)]);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await cleanup(failures.length > 0 ? opts.keepLogsIn : undefined);
  }
  const table = formatTable(rows);
  return { ok: failures.length === 0, failures, rows, notes, table, elapsedS: (Date.now() - started) / 1000 };
}
