// Single sign-on in Postgres (migration 029): each tenant's OIDC issuer configuration, its client secret sealed with
// AES-256-GCM (adapters/oidc/secret-box.ts), and the sign-in of a person the issuer vouched for: found by e-mail, or
// provisioned with the tenant's default role. docs/api.md#single-sign-on-sso, docs/security.md#single-sign-on.
import { randomUUID } from 'node:crypto';
import type { Sql } from './client';
import type { Role } from '../../core/accounts';
import type { SsoConfig, SsoRole } from '../../core/sso';
import type { SecretBox } from '../oidc/secret-box';
import { appendAudit } from './audit-log-store';
import type { AuditEntry } from '../../core/audit-log';

/** SSO_SECRET_KEY (or SSO_SECRET_KEY_ARN) is not configured: client secrets can be neither sealed nor opened. */
export class SsoKeyMissing extends Error {
  override name = 'SsoKeyMissing';
}

/** The configuration as GET /v1/sso shows it: everything but the secret. */
export type SsoConfigView = Omit<SsoConfig, 'clientSecret'> & { updatedAt: Date };

interface Row {
  tenantId: string;
  issuer: string;
  clientId: string;
  secret: Buffer;
  allowedDomains: string[];
  defaultRole: SsoRole;
  enabled: boolean;
  updatedAt: Date;
}

const COLUMNS = (sql: Sql) => sql`
  tenant_id as "tenantId", issuer, client_id as "clientId", client_secret_enc as secret,
  allowed_domains as "allowedDomains", default_role as "defaultRole", enabled, updated_at as "updatedAt"`;

export function createSsoStore(sql: Sql, box: SecretBox | undefined) {
  const requireBox = (): SecretBox => {
    if (!box) throw new SsoKeyMissing('SSO_SECRET_KEY is not configured');
    return box;
  };
  const row = async (tenantId: string): Promise<Row | undefined> => {
    const [r] = await sql<Row[]>`select ${COLUMNS(sql)} from sso_configs where tenant_id = ${tenantId}`;
    return r;
  };
  const view = ({ secret: _secret, ...r }: Row): SsoConfigView => r;

  return {
    /** Whether client secrets can be sealed here (PUT /v1/sso needs it). */
    canSeal: () => box !== undefined,

    async view(tenantId: string): Promise<SsoConfigView | undefined> {
      const r = await row(tenantId);
      return r && view(r);
    },

    /** The configuration with its secret opened, for a sign-in. */
    async load(tenantId: string): Promise<SsoConfig | undefined> {
      const r = await row(tenantId);
      if (!r) return undefined;
      const { secret, updatedAt: _u, ...rest } = r;
      return { ...rest, clientSecret: requireBox().open(secret, tenantId) };
    },

    /** The tenant a slug names (GET /v1/auth/sso/start?organization=<slug>). */
    async tenantIdBySlug(slug: string): Promise<string | undefined> {
      const [r] = await sql<{ id: string }[]>`select id from tenants where slug = ${slug}`;
      return r?.id;
    },

    /** Creates or replaces the configuration, with its audit entry when given, in one transaction. */
    async put(c: SsoConfig, nowMs: number, audit?: (before: SsoConfigView | undefined) => AuditEntry) {
      const sealed = requireBox().seal(c.clientSecret, c.tenantId);
      const at = new Date(nowMs);
      return sql.begin(async (tx) => {
        const t = tx as unknown as Sql;
        const [before] = await t<Row[]>`
          select ${COLUMNS(t)} from sso_configs where tenant_id = ${c.tenantId} for update`;
        const [after] = await t<Row[]>`
          insert into sso_configs (tenant_id, issuer, client_id, client_secret_enc, allowed_domains, default_role,
                                   enabled, created_at, updated_at)
          values (${c.tenantId}, ${c.issuer}, ${c.clientId}, ${sealed}, ${c.allowedDomains}, ${c.defaultRole},
                  ${c.enabled}, ${at}, ${at})
          on conflict (tenant_id) do update set
            issuer = excluded.issuer, client_id = excluded.client_id, client_secret_enc = excluded.client_secret_enc,
            allowed_domains = excluded.allowed_domains, default_role = excluded.default_role,
            enabled = excluded.enabled, updated_at = excluded.updated_at
          returning ${COLUMNS(t)}`;
        if (audit) await appendAudit(t, audit(before && view(before)));
        return view(after!);
      });
    },

    /** Deletes the configuration, with its audit entry when given, in one transaction. */
    async remove(tenantId: string, audit?: (before: SsoConfigView) => AuditEntry): Promise<boolean> {
      return sql.begin(async (tx) => {
        const t = tx as unknown as Sql;
        const [before] = await t<Row[]>`
          delete from sso_configs where tenant_id = ${tenantId} returning ${COLUMNS(t)}`;
        if (!before) return false;
        if (audit) await appendAudit(t, audit(view(before)));
        return true;
      });
    },

    /**
     * The sign-in of a person the issuer vouched for (a verified address in an allowed domain): the account with
     * this address, or a new one (`newPasswordHash`: a random password's hash, so nobody can sign in with a
     * password until one is set by reset); the tenant membership it has, or a new one with `defaultRole`; and the
     * (issuer, subject) recorded. One transaction; an address racing itself ends with one account.
     */
    async signIn(
      s: {
        tenantId: string;
        email: string;
        name: string | null;
        defaultRole: SsoRole;
        issuer: string;
        subject: string;
        nowMs: number;
      },
      newPasswordHash: () => Promise<string>,
    ): Promise<{ userId: string; role: Role; provisioned: boolean; joined: boolean }> {
      const at = new Date(s.nowMs);
      const [existing] = await sql<{ id: string }[]>`select id from users where email = ${s.email}`;
      const hash = existing ? undefined : await newPasswordHash(); // scrypt only for a new account
      return sql.begin(async (tx) => {
        const inserted =
          hash === undefined
            ? []
            : await tx<{ id: string }[]>`
                insert into users (id, email, name, password_hash, created_at, password_changed_at)
                values (${randomUUID()}, ${s.email}, ${s.name}, ${hash}, ${at}, ${at})
                on conflict (email) do nothing returning id`;
        const [user] = inserted.length
          ? inserted
          : await tx<{ id: string }[]>`select id from users where email = ${s.email}`;
        const joined = await tx<{ role: Role }[]>`
          insert into memberships (tenant_id, user_id, role, created_at)
          values (${s.tenantId}, ${user!.id}, ${s.defaultRole}, ${at})
          on conflict do nothing returning role`;
        const [member] = joined.length
          ? joined
          : await tx<{ role: Role }[]>`
              select role from memberships where tenant_id = ${s.tenantId} and user_id = ${user!.id}`;
        await tx`
          insert into sso_identities (tenant_id, issuer, subject, user_id, created_at, last_login)
          values (${s.tenantId}, ${s.issuer}, ${s.subject}, ${user!.id}, ${at}, ${at})
          on conflict (tenant_id, issuer, subject) do update set user_id = excluded.user_id, last_login = excluded.last_login`;
        return { userId: user!.id, role: member!.role, provisioned: inserted.length > 0, joined: joined.length > 0 };
      });
    },
  };
}
export type SsoStore = ReturnType<typeof createSsoStore>;
