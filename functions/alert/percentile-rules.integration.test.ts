// Alert rules on percentiles (p95:<path>): from the 10s quantile sketches, and from raw events with a filter.
// not otherwise, over data stored by the real aggregate handler; the engine's clock is injected and moved by the test.
import { createTestEnv, type TestEnv, type TestTenant } from '../../test/harness';
import { call, mskBatch, rawEvent } from '../../test/builders';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { createAggregateHandler } from '../aggregate/handler';
import { evaluateRule } from '../../core/alert-evaluation';
import { getRule } from '../../adapters/postgres/alert-rules-store';
import type { Adapters } from '../../adapters';

const S = 1_000;
let env: TestEnv;
let tenant: TestTenant;
let runtime: LocalRuntime;
let clock = 0;
let deps: Adapters;
let offset = 0;

beforeAll(async () => {
  env = await createTestEnv('alertpct', { ALERT_ALLOWED_LATENESS: '20s' });
  tenant = await env.createTenant();
  // 10s buckets are aligned; start the clock a little after a bucket boundary, an hour ago.
  clock = Math.floor((Date.now() - 3_600_000) / 10_000) * 10_000 + 1_000;
  deps = { ...env.adapters, now: () => clock };
  runtime = await startLocalRuntime(deps, { port: 0, web: false, scheduler: false, consumers: false });
}, 60_000);
afterAll(async () => {
  await runtime?.stop();
  await env?.cleanup();
});

async function events(eventType: string, n: number, props: Record<string, unknown> = {}) {
  // n events with the same properties
  if (n === 0) return;
  const list = Array.from({ length: n }, (_, i) =>
    rawEvent(tenant, { eventType, timestampMs: clock, userId: `u${i}`, properties: props }),
  );
  await createAggregateHandler(deps)(mskBatch(env.config.kafka.topics.eventsRaw, list, 0, (offset += n)));
}

async function createRule(body: Record<string, unknown>): Promise<string> {
  const res = await call(runtime.url, '/v1/alert-rules', {
    key: tenant.keys.admin,
    json: { name: 'r', window: '1m', ...body },
  });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return res.body.id;
}

/** Evaluates the rule at the current clock; returns its state. */
async function evaluate(ruleId: string): Promise<string> {
  const stored = await getRule(env.adapters.sql, tenant.id, ruleId);
  await evaluateRule(deps, stored!.rule, clock);
  const [s] = await env.adapters.sql<{ state: string }[]>`select state from alert_states where rule_id = ${ruleId}`;
  return s!.state;
}

async function transitions(ruleId: string): Promise<string[]> {
  const rows = await env.adapters.sql<{ t: string }[]>`
    select from_state || '>' || to_state || coalesce(':' || notification, '') || case when silenced then ':silenced' else '' end as t
    from alert_history where rule_id = ${ruleId} order by seq`;
  return rows.map((r) => r.t);
}

/** n events of `latency` = value (and the other properties). */
const latencies = (n: number, value: number, props: Record<string, unknown> = {}) =>
  events('request', n, { latency: value, ...props });

it('p95 over the window fires when the slow tail grows past the threshold and resolves when it leaves', async () => {
  const id = await createRule({ event_type: 'request', metric: 'p95:latency', condition: { op: '>', threshold: 500 } });
  expect(await evaluate(id)).toBe('no_data'); // the percentile of no values is undefined
  await latencies(100, 100);
  expect(await evaluate(id)).toBe('ok'); // p95 = 100
  await latencies(10, 1_000);
  expect(await evaluate(id)).toBe('firing'); // rank ⌊0.95 · 109⌋ = 103 of 110: 1 000
  clock += 70 * S; // those events left the window
  await latencies(100, 100);
  expect(await evaluate(id)).toBe('firing'); // p95 = 100 now, but the allowed lateness has not passed
  clock += 21 * S;
  expect(await evaluate(id)).toBe('ok');
  expect(await transitions(id)).toEqual(['ok>no_data', 'no_data>ok', 'ok>firing:firing', 'firing>ok:resolved']);
  const [row] = await env.adapters.sql<
    { value: number }[]
  >`select value from alert_history where rule_id = ${id} and to_state = 'firing'`;
  expect(Math.abs(row!.value - 1_000)).toBeLessThanOrEqual(10); // within 0.99 %
});

it('p95 with a filter reads raw events: only the filtered events count', async () => {
  clock += 70 * S;
  const id = await createRule({
    event_type: 'checkout',
    metric: 'p95:amount',
    filter: { region: 'eu' },
    condition: { op: '>', threshold: 390 },
  });
  await events('checkout', 20, { region: 'us', amount: 900 });
  await events('checkout', 20, { region: 'eu', amount: 50 });
  expect(await evaluate(id)).toBe('ok');
  await events('checkout', 5, { region: 'eu', amount: 400 });
  expect(await evaluate(id)).toBe('firing'); // rank ⌊0.95 · 24⌋ = 22 of 25 EU values: 400 within 0.99 %
});
