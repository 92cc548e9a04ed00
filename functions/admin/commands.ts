// The operator commands (tenants, projects, API keys, the first owner's invite): one implementation for the local admin CLI
// (scripts/cli.ts) and the admin Lambda (functions/admin/handler.ts, invoked by `customersignal --aws <stack>`).
import { z } from 'zod';
import { DuplicateError, type Tenant, type TenantsStore } from '../../adapters/postgres/tenants-store';
import type { OperatorStores } from '../../adapters/postgres/operator-stores';
import { parseScopes, type Scope } from '../../core/api-keys';
import { SCHEMA_MODES, type SchemaMode } from '../../core/catalog';
import { isUuid } from '../../core/ids';
import { unstorableChar } from '../../core/event-validation';
import { slugProblem } from '../../core/tenants';
import { AppError } from '../../core/errors';
import { parseTimeZone, type TimeZone } from '../../core/timezone';
import { emailProblem, inviteUrl, newLinkToken, normaliseEmail } from '../../core/accounts';
import { OPERATOR_ACTOR, actorText } from '../../core/audit-log';

/** A refusal whose message is the one line to show the operator (bad input, unknown tenant, duplicate...). */
export class CliError extends Error {
  override name = 'CliError';
}

export async function tenantBySlug(tenants: TenantsStore, slug: string): Promise<Tenant> {
  const tenant = await tenants.findTenantBySlug(slug);
  if (!tenant)
    throw new CliError(`tenant "${slug}" does not exist; create it with: customersignal tenant create ${slug}`);
  return tenant;
}

export async function createKeyFor(stores: OperatorStores, tenantSlug: string, scopes: Scope[], projectSlug?: string) {
  const tenant = await tenantBySlug(stores.tenants, tenantSlug);
  let projectId: string | null = null;
  if (projectSlug !== undefined) {
    const project = (await stores.tenants.listProjects(tenant.id)).find((p) => p.slug === projectSlug);
    if (!project) throw new CliError(`project "${projectSlug}" does not exist in tenant "${tenantSlug}"`);
    projectId = project.id;
  }
  const created = await stores.apiKeys.createApiKey(tenant.id, scopes, projectId);
  return {
    id: created.id,
    key: created.key,
    prefix: created.prefix,
    scopes: created.scopes,
    tenant: tenant.slug,
    project: projectSlug ?? null,
  };
}

// Postgres text cannot hold NUL, and a lone surrogate would be stored as U+FFFD: refused, so what is accepted is stored as given.
const text = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .refine((s) => unstorableChar(s) === undefined, 'must be text without NUL characters or unpaired UTF-16 surrogates');
/** The commands, as the CLI parses them and as the admin Lambda receives them (its invocation payload). */
export const adminCommandSchema = z.discriminatedUnion('command', [
  z
    .object({ command: z.literal('tenant create'), slug: text, name: text.optional(), retentionDays: text.optional() })
    .strict(),
  z.object({ command: z.literal('tenant list') }).strict(),
  z.object({ command: z.literal('tenant set-retention'), slug: text, days: text }).strict(),
  z.object({ command: z.literal('tenant set-timezone'), tenant: text, timezone: text }).strict(),
  z
    .object({
      command: z.literal('project create'),
      tenant: text,
      slug: text,
      name: text.optional(),
      schemaMode: text.optional(),
    })
    .strict(),
  z.object({ command: z.literal('key create'), tenant: text, scope: text, project: text.optional() }).strict(),
  z.object({ command: z.literal('key list'), tenant: text }).strict(),
  z.object({ command: z.literal('key revoke'), id: text }).strict(),
  z.object({ command: z.literal('owner invite'), tenant: text, email: text }).strict(),
]);
export type AdminCommand = z.infer<typeof adminCommandSchema>;
export const ADMIN_COMMANDS = adminCommandSchema.options.map((o) => o.shape.command.value);

/** What a command answers: `data` for --json, `text` for people. */
export interface AdminResult {
  data: unknown;
  text: string;
}

/** Validates an untrusted payload (the Lambda's event) into a command, or a CliError that says how to fix it. */
export function parseAdminCommand(payload: unknown): AdminCommand {
  const result = adminCommandSchema.safeParse(payload);
  if (result.success) return result.data;
  const command = (payload as { command?: unknown } | null)?.command;
  if (typeof command !== 'string' || !(ADMIN_COMMANDS as string[]).includes(command)) {
    throw new CliError(`"command" must be one of: ${ADMIN_COMMANDS.join(', ')}`);
  }
  const issue = result.error.issues[0]!;
  const field = issue.path.join('.') || 'payload';
  throw new CliError(
    `${command}: ${field}: ${issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message}`,
  );
}

/** Rows as aligned text columns (the CLI's tables). */
export function textTable(rows: string[][]): string {
  if (rows.length === 0) return '(none)';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A malformed slug is the operator's to fix. */
function checkSlug(kind: 'tenant' | 'project', slug: string): void {
  const problem = slugProblem(kind, slug);
  if (problem) throw new CliError(problem);
}

function retentionDays(v: string): number | null {
  if (v === 'default') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 3650)
    throw new CliError(
      `retention must be a number of days from 1 to 3650, or "default" (the platform's RETENTION); got "${v}"`,
    );
  return n;
}

/** What the commands read of the platform's configuration, and the clock. */
export interface AdminSettings {
  /** The platform's RETENTION in ms (config().limits.retentionMs). */
  retentionMs: number;
  /** The dashboard's public origin, the base of invite links (config().accounts.appUrl). */
  appUrl: string;
  /** How long an invite link works (config().accounts.inviteTtlMs). */
  inviteTtlMs: number;
  now: () => number;
}

/** Runs one command against the stores. */
export async function runAdminCommand(
  stores: OperatorStores,
  settings: AdminSettings,
  cmd: AdminCommand,
): Promise<AdminResult> {
  const { tenants, apiKeys } = stores;
  const { retentionMs } = settings;
  const platformDays = Math.round(retentionMs / 86_400_000);
  const retentionText = (days: number | null) => {
    const effective = days === null ? platformDays : Math.min(days, platformDays);
    return days === null
      ? `${effective} days (platform default)`
      : days > platformDays
        ? `${effective} days (asked ${days}, capped by RETENTION)`
        : `${effective} days`;
  };
  try {
    switch (cmd.command) {
      case 'tenant create': {
        checkSlug('tenant', cmd.slug);
        const days = cmd.retentionDays === undefined ? null : retentionDays(cmd.retentionDays);
        const t = await tenants.createTenant(cmd.slug, cmd.name ?? cmd.slug);
        if (days !== null) await tenants.setTenantRetention(cmd.slug, days);
        return {
          data: { id: t.id, slug: t.slug, name: t.name, retention_days: days },
          text: `created tenant ${t.slug} (${t.id}), retention ${retentionText(days)}`,
        };
      }
      case 'tenant list': {
        const rows = await tenants.listTenants();
        return {
          data: rows.map((t) => ({
            id: t.id,
            slug: t.slug,
            name: t.name,
            retention_days: t.retentionDays,
            created_at: t.createdAt,
          })),
          text: textTable(rows.map((t) => [t.slug, t.name, t.id, `retention ${retentionText(t.retentionDays)}`])),
        };
      }
      case 'tenant set-retention': {
        const days = retentionDays(cmd.days);
        if (!(await tenants.setTenantRetention(cmd.slug, days)))
          throw new CliError(`tenant "${cmd.slug}" does not exist`);
        return {
          data: { slug: cmd.slug, retention_days: days },
          text: `tenant ${cmd.slug}: retention ${retentionText(days)} (ingest and aggregation apply it within 30 s)`,
        };
      }
      case 'tenant set-timezone': {
        // The same check and message as PATCH /v1/tenant (docs/api.md#time-zones).
        let zone: TimeZone;
        try {
          zone = parseTimeZone(cmd.timezone);
        } catch (e) {
          if (e instanceof AppError) throw new CliError(e.message);
          throw e;
        }
        const tenant = await tenantBySlug(tenants, cmd.tenant);
        const r = await stores.tenantZones.changeTimezone(tenant.id, zone);
        if (!r) throw new CliError(`tenant "${cmd.tenant}" does not exist`);
        const job = r.settings.rebucketing;
        return {
          data: {
            slug: cmd.tenant,
            timezone: r.settings.timezone,
            changed: r.changed,
            rebucketing: job && {
              status: 'done',
              from_timezone: job.fromTimezone,
              to_timezone: job.toTimezone,
              started_at: job.startedAt.toISOString(),
              finished_at: job.finishedAt.toISOString(),
              rows: job.rows,
            },
          },
          text: r.changed
            ? `tenant ${cmd.tenant}: time zone ${r.settings.timezone}; 1h/1d rollups re-bucketed (${job?.rows ?? 0} rows, done)`
            : `tenant ${cmd.tenant}: time zone is already ${r.settings.timezone}; nothing changed`,
        };
      }
      case 'project create': {
        const mode = cmd.schemaMode ?? 'open';
        if (!(SCHEMA_MODES as readonly string[]).includes(mode))
          throw new CliError('--schema-mode must be open or strict');
        checkSlug('project', cmd.slug);
        const tenant = await tenantBySlug(tenants, cmd.tenant);
        const p = await tenants.createProject(tenant.id, cmd.slug, cmd.name ?? cmd.slug, mode as SchemaMode);
        return {
          data: { id: p.id, slug: p.slug, tenant: cmd.tenant, schema_mode: p.schemaMode },
          text: `created project ${p.slug} in ${cmd.tenant} (${p.schemaMode})`,
        };
      }
      case 'key create': {
        let scopes: Scope[];
        try {
          scopes = parseScopes(cmd.scope);
        } catch (e) {
          throw new CliError(`--scope: ${(e as Error).message}`);
        }
        const k = await createKeyFor(stores, cmd.tenant, scopes, cmd.project);
        return {
          data: k,
          text: `${k.key}\n(id ${k.id}, scopes ${k.scopes.join(',')}${k.project ? `, project ${k.project}` : ''}; shown once, store it now)`,
        };
      }
      case 'key list': {
        const rows = await apiKeys.listApiKeys((await tenantBySlug(tenants, cmd.tenant)).id);
        return {
          data: rows.map((k) => ({
            id: k.id,
            prefix: k.prefix,
            scopes: k.scopes,
            project: k.projectSlug,
            created_at: k.createdAt,
            last_used_at: k.lastUsedAt,
            revoked_at: k.revokedAt,
          })),
          text: textTable(
            rows.map((k) => [
              k.id,
              k.prefix + '…',
              k.scopes.join(','),
              k.projectSlug ?? '-',
              k.revokedAt ? 'revoked' : k.lastUsedAt ? `used ${k.lastUsedAt.toISOString()}` : 'never used',
            ]),
          ),
        };
      }
      case 'key revoke': {
        if (!isUuid(cmd.id)) throw new CliError(`no API key with id ${cmd.id}`);
        const tenantId = await apiKeys.revokeApiKeyById(cmd.id);
        if (!tenantId) throw new CliError(`no API key with id ${cmd.id}`);
        return { data: { id: cmd.id, revoked: true }, text: `revoked ${cmd.id} (effective within seconds)` };
      }
      case 'owner invite':
        return await inviteOwner(stores, settings, cmd.tenant, cmd.email);
    }
  } catch (e) {
    // The stores' own refusals (a taken or malformed slug) are the operator's to fix, not faults.
    if (e instanceof DuplicateError) throw new CliError(e.message);
    throw e;
  }
}

/**
 * A tenant's first owner where sign-up is invite-only (a hosted deployment): an owner invite made by the operator,
 * exactly as POST /v1/invites makes one (single use, INVITE_TTL, only the token's hash stored, audit-logged with the
 * operator as actor). The link is answered to the operator, who hands it to the person; the person chooses their
 * own password when accepting it. Nothing here sets or sees a password.
 */
async function inviteOwner(stores: OperatorStores, settings: AdminSettings, tenantSlug: string, rawEmail: string) {
  const email = normaliseEmail(rawEmail);
  const problem = emailProblem(email);
  if (problem) throw new CliError(problem);
  const tenant = await tenantBySlug(stores.tenants, tenantSlug);
  if (await stores.invites.isMember(tenant.id, email))
    throw new CliError(`${email} is a member of ${tenant.slug} already; they sign in as usual`);
  const { id: token, hash } = newLinkToken();
  const now = settings.now();
  const invite = await stores.invites.createInvite(
    {
      tenantId: tenant.id,
      email,
      role: 'owner',
      tokenHash: hash,
      invitedBy: actorText(OPERATOR_ACTOR),
      nowMs: now,
      ttlMs: settings.inviteTtlMs,
    },
    (i) => ({
      tenantId: tenant.id,
      atMs: now,
      actor: OPERATOR_ACTOR,
      action: 'invite.create',
      target: i.id,
      before: null,
      after: { email: i.email, role: i.role, expires_at: i.expiresAt.toISOString() },
    }),
  );
  const link = inviteUrl(settings.appUrl, token);
  return {
    data: {
      id: invite.id,
      tenant: tenant.slug,
      email: invite.email,
      role: invite.role,
      expires_at: invite.expiresAt.toISOString(),
      invite_url: link,
    },
    text: `${link}\n(owner invite for ${invite.email} in ${tenant.slug}, works once until ${invite.expiresAt.toISOString()}; shown once: hand it to them)`,
  };
}
