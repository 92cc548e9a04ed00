// Saved insights (docs/api.md#dashboards): funnel and retention widgets hold their query endpoint's body without
// from/to, checked by the endpoints' own schemas and rules (a bad one is a 400 naming the field), read back as
// saved, runnable by a read key, and invisible to other tenants.
import { useTestEnv } from '../../test/harness';
import type { Principal } from '../../core/api-keys';
import { deleteDashboardById, getDashboardById, getDashboards, postDashboard, putDashboard } from './dashboards';
import { queryFunnel } from './funnels';
import { queryRetention } from './retention';

const { env, tenants } = useTestEnv('dashinsights', { topics: false, tenants: 2 });
const principal = (tenantId: string, scope: 'admin' | 'read'): Principal => ({
  tenantId,
  keyId: 'test',
  scopes: [scope],
  projectId: null,
  projectSlug: null,
});

const funnel = {
  steps: [{ event_type: 'signup' }, { event_type: 'purchase', filters: { plan: 'pro' } }],
  window: '1d',
  exclusions: [{ event_type: 'cancel', from_step: 1, to_step: 2 }],
};
const retention = { start_event: 'signup', return_event: { event_type: 'login' }, period: 'day', periods: 7 };
const funnelWidget = (query: Record<string, unknown> = { range: '30d', funnel }) => ({
  type: 'funnel',
  title: 'Signup → pro purchase',
  query,
  layout: { w: 6, h: 4 },
});
const retentionWidget = (query: Record<string, unknown> = { range: '14d', retention }) => ({
  type: 'retention',
  title: 'Daily return',
  query,
});

describe('saved insights on dashboards', () => {
  it('saves a funnel and a retention widget and reads them back as saved (defaults filled in)', async () => {
    const admin = principal(tenants[0].id, 'admin');
    const created = await postDashboard(env.adapters, admin, {
      name: 'Growth',
      widgets: [funnelWidget(), retentionWidget()],
    });
    const [f, r] = created.widgets;
    expect(f).toMatchObject({ type: 'funnel', query: { range: '30d', funnel: { ...funnel, order: 'ordered' } } });
    expect(r).toMatchObject({ type: 'retention', query: { range: '14d', retention } });
    expect(f!.id).toEqual(expect.any(String));
    const read = await getDashboardById(env.adapters, admin, created.id);
    expect(read.widgets).toEqual(created.widgets);

    // Edited like any widget: title and range replaced with PUT, the other one removed.
    const edited = await putDashboard(env.adapters, admin, created.id, {
      name: 'Growth',
      widgets: [{ ...f, title: 'Renamed', query: { ...f!.query, range: '7d' } }],
    });
    expect(edited.widgets).toEqual([{ ...f, title: 'Renamed', query: { ...f!.query, range: '7d' } }]);
  });

  it('lets a read key read the widgets and run their queries, but not change them', async () => {
    const admin = principal(tenants[0].id, 'admin');
    const viewer = principal(tenants[0].id, 'read');
    const created = await postDashboard(env.adapters, admin, {
      name: 'Shared',
      widgets: [funnelWidget(), retentionWidget()],
    });
    const [f, r] = (await getDashboardById(env.adapters, viewer, created.id)).widgets;
    const to = new Date(env.adapters.now()).toISOString();
    const from = new Date(env.adapters.now() - 7 * 86_400_000).toISOString();
    const funnelAnswer = await queryFunnel(env.adapters, viewer, { ...f!.query.funnel, from, to });
    expect(funnelAnswer.steps.map((s) => s.count)).toEqual([0, 0]);
    const retentionAnswer = await queryRetention(env.adapters, viewer, { ...r!.query.retention, from, to });
    expect(retentionAnswer.cohorts.every((c) => c.size === 0)).toBe(true);
    await expect(putDashboard(env.adapters, viewer, created.id, { name: 'x', widgets: [] })).rejects.toMatchObject({
      kind: 'forbidden',
    });
  });

  it.each([
    [
      'a one-step funnel',
      funnelWidget({ range: '30d', funnel: { steps: [{ event_type: 'a' }] } }),
      'query.funnel.steps',
    ],
    ['an unknown funnel field', funnelWidget({ range: '30d', funnel: { ...funnel, colour: 'red' } }), 'query.funnel'],
    ['from in a saved funnel', funnelWidget({ range: '30d', funnel: { ...funnel, from: 0 } }), 'from'],
    [
      'an exclusion past the last step',
      funnelWidget({
        range: '30d',
        funnel: { ...funnel, exclusions: [{ event_type: 'x', from_step: 1, to_step: 3 }] },
      }),
      'query.funnel.exclusions.0: from_step and to_step',
    ],
    ['a bad window', funnelWidget({ range: '30d', funnel: { ...funnel, window: '2y' } }), 'query.funnel.window'],
    ['a funnel widget without its funnel', funnelWidget({ range: '30d' }), 'query.funnel: is required'],
    ['a funnel widget without a range', funnelWidget({ funnel }), 'query.range: is required'],
    ['a metric field on a funnel', funnelWidget({ range: '30d', funnel, event_type: 'a' }), 'query.event_type'],
    ['a range over 90 days', funnelWidget({ range: '91d', funnel }), 'query.range'],
    [
      'a retention period of a month',
      retentionWidget({ range: '14d', retention: { ...retention, period: 'month' } }),
      'query.retention.period',
    ],
    [
      'too many retention periods',
      retentionWidget({ range: '14d', retention: { ...retention, periods: 91 } }),
      'query.retention: periods 91: give a whole number from 1 to 90',
    ],
    [
      'a retention filter that is not a path',
      retentionWidget({
        range: '14d',
        retention: { ...retention, start_event: { event_type: 's', filters: { 'a..b': 'x' } } },
      }),
      'query.retention: start_event.filters key',
    ],
    [
      'more daily cohorts than a query has',
      retentionWidget({ range: '90d', retention }),
      'query.range: spans more days than a retention query has cohorts',
    ],
    ['a retention widget without its query', retentionWidget({ range: '14d' }), 'query.retention: is required'],
    [
      'a funnel of the wrong shapes',
      funnelWidget({ range: 'x', funnel: { steps: 'x', exclusions: 5, window: 3 } }),
      'query.range',
    ],
    ['a retention of the wrong shapes', retentionWidget({ range: '7d', retention: [] }), 'query.retention'],
    [
      'a funnel on a timeseries',
      { type: 'timeseries', title: 't', query: { event_type: 'a', funnel } },
      'query.funnel',
    ],
  ])('refuses %s with a 400 naming the field', async (_, widget, what) => {
    const admin = principal(tenants[0].id, 'admin');
    await expect(postDashboard(env.adapters, admin, { name: 'bad', widgets: [widget] })).rejects.toMatchObject({
      kind: 'invalid',
      code: 'invalid_body',
      message: expect.stringContaining(what),
    });
  });

  it("keeps one tenant's saved insights from another", async () => {
    const [a, b] = [principal(tenants[0].id, 'admin'), principal(tenants[1].id, 'admin')];
    const mine = await postDashboard(env.adapters, a, {
      name: 'Private',
      widgets: [funnelWidget(), retentionWidget()],
    });
    const theirs = await getDashboards(env.adapters, b);
    expect(theirs.dashboards.map((d) => d.id)).not.toContain(mine.id);
    expect(JSON.stringify(theirs)).not.toContain('Signup → pro purchase');
    for (const attempt of [
      () => getDashboardById(env.adapters, b, mine.id),
      () => putDashboard(env.adapters, b, mine.id, { name: 'x', widgets: [retentionWidget()] }),
      () => deleteDashboardById(env.adapters, b, mine.id),
    ])
      await expect(attempt()).rejects.toMatchObject({ kind: 'not_found' });
    expect((await getDashboardById(env.adapters, a, mine.id)).widgets).toHaveLength(2);
  });
});
