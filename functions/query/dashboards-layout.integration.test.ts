// Dashboard layout (docs/api.md#dashboards): x/y place a widget on the 12-column grid and round-trip; bad ones are
// 400s.
import { useTestEnv } from '../../test/harness';
import type { Principal } from '../../core/api-keys';
import { getDashboardById, postDashboard, putDashboard } from './dashboards';

const { env, tenant } = useTestEnv('dashlayout', { topics: false, tenants: 1 });
let admin: Principal;

beforeAll(() => {
  admin = { tenantId: tenant.id, keyId: 'test', scopes: ['admin'], projectId: null, projectSlug: null };
});

const widget = (layout: unknown) => ({
  type: 'timeseries',
  title: 't',
  query: { event_type: 'signup', interval: '1m', range: '1h' },
  layout,
});

describe('dashboard layout', () => {
  it('accepts x/y beside w/h and returns them as sent, on create, read and replace', async () => {
    const created = await postDashboard(env.adapters, admin, {
      name: 'grid',
      widgets: [widget({ x: 6, y: 2, w: 6, h: 3 }), widget({ w: 12, h: 4 }), widget({ x: 0, y: 0, w: 1, h: 1 })],
    });
    expect(created.widgets.map((w) => w.layout)).toEqual([
      { x: 6, y: 2, w: 6, h: 3 },
      { w: 12, h: 4 },
      { x: 0, y: 0, w: 1, h: 1 },
    ]);
    expect((await getDashboardById(env.adapters, admin, created.id)).widgets.map((w) => w.layout)).toEqual(
      created.widgets.map((w) => w.layout),
    );
    const replaced = await putDashboard(env.adapters, admin, created.id, {
      name: 'grid',
      widgets: [widget({ x: 11, y: 1000, w: 1, h: 8 })],
    });
    expect(replaced.widgets[0]!.layout).toEqual({ x: 11, y: 1000, w: 1, h: 8 });
  });

  it.each([
    [{ x: 7, y: 0, w: 6, h: 3 }, 'x + w'],
    [{ x: -1, w: 6, h: 3 }, 'x'],
    [{ x: 12, w: 1, h: 3 }, 'x'],
    [{ y: 1.5, w: 6, h: 3 }, 'y'],
    [{ x: '1', w: 6, h: 3 }, 'x'],
    [{ x: 0, y: 0, w: 6, h: 3, z: 1 }, 'z'],
  ])('refuses layout %j with a 400 that names %s', async (layout, what) => {
    await expect(postDashboard(env.adapters, admin, { name: 'bad', widgets: [widget(layout)] })).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining(what),
    });
  });
});
