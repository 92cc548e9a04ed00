// Explorer pages with property filters scan time windows, newest first, within a time budget: with a budget of
// zero every request scans one window, so pages can be short or empty — and every matching event stored before the
// first page still appears exactly once, newest first, while a late event arrives inside the range.
import { useTestEnv, eventually } from '../../test/harness';
import { call } from '../../test/builders';
import { storedEventCount } from '../../test/reads';

const HOUR = 3_600_000;
const { env, tenant, runtime } = useTestEnv('explorerwin', {
  overrides: { EXPLORER_SCAN_BUDGET: '0ms' },
  tenants: 1,
  runtime: true,
});

it('pages through windows: short or empty pages carry a cursor, and every match appears once, newest first', async () => {
  const now = Date.now();
  const ages = [0, 0.5, 2, 5, 30, 24 * 10];
  const events = ages.flatMap((h, i) => [
    {
      event_type: 'win',
      project: 'web',
      event_id: `m-${i}`,
      timestamp: now - h * HOUR - i,
      properties: { tier: 'gold' },
    },
    {
      event_type: 'win',
      project: 'web',
      event_id: `x-${i}`,
      timestamp: now - h * HOUR - i,
      properties: { tier: 'iron' },
    },
  ]);
  expect((await call(runtime.url, '/v1/events', { key: tenant.keys.ingest, json: { events } })).status).toBe(202);
  await eventually(async () => {
    return (await storedEventCount(env.adapters.sql, tenant.id)) === events.length ? true : undefined;
  });

  const seen: string[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: { status: number; body: { events: { event_id: string }[]; next_cursor: string | null } } = await call(
      runtime.url,
      `/v1/events?event_type=win&prop.tier=gold&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      { key: tenant.keys.read },
    );
    expect(res.status).toBe(200);
    if (pages === 0) {
      // A late event inside the range, stored after the first page: not part of this paging.
      await call(runtime.url, '/v1/events', {
        key: tenant.keys.ingest,
        json: {
          event_type: 'win',
          project: 'web',
          event_id: 'late',
          timestamp: now - 3 * HOUR,
          properties: { tier: 'gold' },
        },
      });
    }
    seen.push(...res.body.events.map((e) => e.event_id));
    sizes.push(res.body.events.length);
    cursor = res.body.next_cursor;
    pages++;
  } while (cursor && pages < 50);
  expect(seen).toEqual(['m-0', 'm-1', 'm-2', 'm-3', 'm-4', 'm-5']);
  expect(sizes.some((n) => n < 2)).toBe(true); // the budget cut pages short, and paging went on
  expect(cursor).toBeNull();
});
