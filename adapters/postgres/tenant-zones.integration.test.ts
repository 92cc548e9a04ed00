// The zone store of a query process (Adapters.tenantZones): zoneOf reads Postgres, or with a max age what this
// process read or changed at most that long ago (the label of reads whose buckets no zone changes; docs/api.md#time-zones).
// Two stores stand for two processes; the clock is the test's.
import { useTestEnv } from '../../test/harness';
import { parseTimeZone } from '../../core/timezone';
import { createTenantZoneStore } from './tenant-settings-store';

const {
  env,
  tenants: [tenant],
} = useTestEnv('tenantzones', { tenants: 1 });

it("answers Postgres' zone unless a max age allows the process's own, never one older than it", async () => {
  let t = 1_000_000;
  const a = createTenantZoneStore(env.adapters.sql, () => t);
  const b = createTenantZoneStore(env.adapters.sql, () => t);
  const berlin = parseTimeZone('Europe/Berlin');

  expect(await a.zoneOf(tenant.id, 5_000)).toEqual({ zone: 'UTC', generation: 0 });
  await b.changeTimezone(tenant.id, berlin);
  // The process that changed it answers the new zone at once, with or without a max age.
  expect(await b.zoneOf(tenant.id, 5_000)).toEqual({ zone: berlin, generation: 1 });
  // Another process: what it read 0 s ago within the max age; Postgres without one, and from then on.
  expect(await a.zoneOf(tenant.id, 5_000)).toEqual({ zone: 'UTC', generation: 0 });
  expect(await a.zoneOf(tenant.id)).toEqual({ zone: berlin, generation: 1 });
  expect(await a.zoneOf(tenant.id, 5_000)).toEqual({ zone: berlin, generation: 1 });

  await b.changeTimezone(tenant.id, parseTimeZone('UTC'));
  t += 5_000;
  expect(await a.zoneOf(tenant.id, 5_000)).toEqual({ zone: berlin, generation: 1 });
  t += 1;
  expect(await a.zoneOf(tenant.id, 5_000)).toEqual({ zone: 'UTC', generation: 2 });
  expect(await a.zoneOf(tenant.id, 5_000)).toEqual({ zone: 'UTC', generation: 2 });
});
