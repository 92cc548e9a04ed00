// GET|PATCH /v1/tenant: the tenant of the key, and its time zone (docs/api.md#tenant, docs/api.md#time-zones).
import { z } from 'zod';
import type { Principal } from '../../core/api-keys';
import { requireScope } from '../../core/api-keys';
import { forbidden, notFound } from '../../core/errors';
import { parseTimeZone } from '../../core/timezone';
import type { Adapters } from '../../adapters';
import type { TenantSettings } from '../../adapters/postgres/tenant-settings-store';
import { parseBody } from '../http/body-schema';
import { keyActor } from '../../core/audit-log';

// The name is checked by parseTimeZone (its message says what to send); the schema only bounds the body's shape.
export const updateTenantSchema = z.strictObject({ timezone: z.string().max(200) });

const DAY_MS = 86_400_000;

export function tenantView(t: TenantSettings, retentionMs: number) {
  const r = t.rebucketing;
  return {
    id: t.id,
    slug: t.slug,
    name: t.name,
    timezone: t.timezone,
    retention_days: Math.round((retentionMs / DAY_MS) * 10) / 10,
    created_at: t.createdAt.toISOString(),
    // Re-bucketing runs inside the zone change (PATCH answers when it is done): this is the latest, finished one.
    rebucketing: r && {
      status: 'done' as const,
      from_timezone: r.fromTimezone,
      to_timezone: r.toTimezone,
      started_at: r.startedAt.toISOString(),
      finished_at: r.finishedAt.toISOString(),
      rows: r.rows,
    },
  };
}

async function settingsOf(deps: Adapters, tenantId: string): Promise<TenantSettings> {
  const t = await deps.tenantZones.tenantSettings(tenantId);
  if (!t) throw notFound('This key\u2019s tenant no longer exists.');
  return t;
}

export async function getTenant(deps: Adapters, principal: Principal) {
  const t = await settingsOf(deps, principal.tenantId);
  return tenantView(t, await deps.retention.of(principal.tenantId));
}

/** Sets the zone; the 1h/1d rollups are re-bucketed before the answer (synchronously, docs/api.md#time-zones). */
export async function patchTenant(deps: Adapters, principal: Principal, body: unknown) {
  requireScope(principal, 'admin');
  if (principal.projectId)
    throw forbidden(
      'This key is bound to one project; the time zone is the whole tenant\u2019s: use a tenant admin key.',
    );
  const input = parseBody(updateTenantSchema, body);
  const zone = parseTimeZone(input.timezone);
  const changed = await deps.tenantZones.changeTimezone(principal.tenantId, zone, (fromZone) => ({
    tenantId: principal.tenantId,
    atMs: deps.now(),
    actor: keyActor(principal),
    action: 'tenant.update',
    target: principal.tenantId,
    before: { timezone: fromZone },
    after: { timezone: zone },
  }));
  if (!changed) throw notFound('This key\u2019s tenant no longer exists.');
  return tenantView(changed.settings, await deps.retention.of(principal.tenantId));
}
