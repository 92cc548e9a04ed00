// Chart fields of a widget (docs/api.md#dashboards): extra series, breakdown, compare, chart kind and unit
// round-trip as sent; out-of-range ones are 400s that name the field.
import { useTestEnv } from '../../test/harness';
import type { Principal } from '../../core/api-keys';
import { getDashboardById, postDashboard } from './dashboards';

const { env, tenant } = useTestEnv('dashcharts', { topics: false, tenants: 1 });
let admin: Principal;

beforeAll(() => {
  admin = { tenantId: tenant.id, keyId: 'test', scopes: ['admin'], projectId: null, projectSlug: null };
});

const widget = (extra: Record<string, unknown>, query: Record<string, unknown> = {}) => ({
  type: 'timeseries',
  title: 't',
  query: { event_type: 'signup', interval: '1m', range: '1h', ...query },
  ...extra,
});

describe('dashboard chart fields', () => {
  it('round-trip series, breakdown, compare, chart and unit', async () => {
    const sent = widget(
      { chart: 'stacked', unit: 'ms' },
      {
        metric: 'p95:latency',
        series: [{ event_type: 'checkout', metric: 'p50:latency', label: 'checkout p50' }, { event_type: 'login' }],
        breakdown: { path: 'plan', limit: 5 },
        compare: 'previous',
      },
    );
    const created = await postDashboard(env.adapters, admin, { name: 'charts', widgets: [sent] });
    const read = (await getDashboardById(env.adapters, admin, created.id)).widgets[0]!;
    expect(read).toMatchObject({ chart: 'stacked', unit: 'ms', query: sent.query });
  });

  it.each([
    [widget({ chart: 'pie' }), 'chart'],
    [widget({ unit: 'x'.repeat(21) }), 'unit'],
    [widget({}, { series: Array.from({ length: 6 }, () => ({ event_type: 'a' })) }), 'series'],
    [widget({}, { series: [{ event_type: '' }] }), 'series'],
    [widget({}, { series: [{ event_type: 'a', metric: 'median' }] }), 'metric'],
    [widget({}, { breakdown: { path: 'plan', limit: 21 } }), 'limit'],
    [widget({}, { breakdown: { limit: 3 } }), 'path'],
    [widget({}, { compare: 'last_week' }), 'compare'],
  ])('refuses %j with a 400 that names %s', async (w, what) => {
    await expect(postDashboard(env.adapters, admin, { name: 'bad', widgets: [w] })).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining(what),
    });
  });
});
