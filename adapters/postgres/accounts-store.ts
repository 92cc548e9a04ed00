// Accounts in Postgres (migrations 026, 028, 030): users, their membership of tenants, server-side sessions (only the session
// id's hash is stored). docs/api.md#accounts, docs/security.md#accounts.
import { randomBytes, randomUUID } from 'node:crypto';
import { bindSql, isUniqueViolation, type Sql, type TransactionSql } from './client';
import type { Role } from '../../core/accounts';
import { appendAudit } from './audit-log-store';
import type { AuditEntry } from '../../core/audit-log';

export interface StoredUser {
  id: string;
  email: string;
  name: string | null;
  passwordHash: string;
}

/** A session as the router sees it: its times, its tenant, and the member's role there. */
export interface StoredSession {
  tenantId: string;
  tenantSlug: string;
  tenantName: string;
  userId: string;
  email: string;
  name: string | null;
  role: Role;
  /** Whether the user proved the e-mail address (migration 030; docs/api.md#e-mail-verification). */
  emailVerified: boolean;
  csrfToken: string;
  createdAt: Date;
  lastSeenAt: Date;
}

export interface NewAccount {
  email: string;
  name: string | null;
  passwordHash: string;
  organization: string;
  tenantSlug: string;
  nowMs: number;
}

export interface CreatedAccount {
  user: { id: string; email: string; name: string | null };
  tenant: { id: string; slug: string; name: string };
  project: { id: string; slug: string };
}

/** The e-mail address has an account already. */
export class EmailTakenError extends Error {
  override name = 'EmailTakenError';
}

async function insertTenant(tx: TransactionSql, slug: string, name: string): Promise<{ id: string; slug: string }> {
  // The organization's slug, or the slug with a short random suffix when another tenant has it.
  for (let attempt = 0; attempt < 5; attempt++) {
    const candidate = attempt === 0 ? slug : `${slug.slice(0, 54)}-${randomBytes(4).toString('hex')}`;
    const [row] = await tx<{ id: string; slug: string }[]>`
      insert into tenants (id, slug, name) values (${randomUUID()}, ${candidate}, ${name})
      on conflict (slug) do nothing returning id, slug`;
    if (row) return row;
  }
  throw new Error('no free tenant slug after 5 attempts');
}

/**
 * Sign-up: a tenant with its first project ("default"), the user, and the user as its owner, in one transaction;
 * `audit` is appended in the same transaction. Throws EmailTakenError when the address has an account.
 */
export async function createAccount(
  sql: Sql,
  a: NewAccount,
  audit: (ids: CreatedAccount) => AuditEntry,
): Promise<CreatedAccount> {
  try {
    return await sql.begin(async (tx) => {
      const at = new Date(a.nowMs);
      const tenant = await insertTenant(tx, a.tenantSlug, a.organization);
      const projectId = randomUUID();
      await tx`
        insert into projects (tenant_id, id, slug, name, schema_mode)
        values (${tenant.id}, ${projectId}, 'default', 'Default', 'open')`;
      const userId = randomUUID();
      await tx`
        insert into users (id, email, name, password_hash, created_at, password_changed_at)
        values (${userId}, ${a.email}, ${a.name}, ${a.passwordHash}, ${at}, ${at})`;
      await tx`
        insert into memberships (tenant_id, user_id, role, created_at) values (${tenant.id}, ${userId}, 'owner', ${at})`;
      const created: CreatedAccount = {
        user: { id: userId, email: a.email, name: a.name },
        tenant: { id: tenant.id, slug: tenant.slug, name: a.organization },
        project: { id: projectId, slug: 'default' },
      };
      await appendAudit(tx as unknown as Sql, audit(created));
      return created;
    });
  } catch (e) {
    if (isUniqueViolation(e) && (e as { constraint_name?: string }).constraint_name === 'users_email')
      throw new EmailTakenError('an account with this e-mail address exists', { cause: e });
    throw e;
  }
}

/**
 * A user who joins an existing tenant with a role (tests and operators). The operator vouches for the address, so it
 * counts as verified unless `emailVerified: false`. Throws EmailTakenError when the address has an account.
 */
export async function createMember(
  sql: Sql,
  m: {
    tenantId: string;
    email: string;
    name: string | null;
    passwordHash: string;
    role: Role;
    nowMs: number;
    emailVerified?: boolean;
  },
): Promise<{ id: string }> {
  const at = new Date(m.nowMs);
  const verifiedAt = m.emailVerified === false ? null : at;
  const id = randomUUID();
  try {
    await sql.begin(async (tx) => {
      await tx`
        insert into users (id, email, name, password_hash, created_at, password_changed_at, email_verified_at)
        values (${id}, ${m.email}, ${m.name}, ${m.passwordHash}, ${at}, ${at}, ${verifiedAt})`;
      await tx`insert into memberships (tenant_id, user_id, role, created_at) values (${m.tenantId}, ${id}, ${m.role}, ${at})`;
    });
  } catch (e) {
    if (isUniqueViolation(e) && (e as { constraint_name?: string }).constraint_name === 'users_email')
      throw new EmailTakenError('an account with this e-mail address exists', { cause: e });
    throw e;
  }
  return { id };
}

export async function findUserByEmail(sql: Sql, email: string): Promise<StoredUser | undefined> {
  const [row] = await sql<StoredUser[]>`
    select id, email, name, password_hash as "passwordHash" from users where email = ${email}`;
  return row;
}

export async function findUserById(sql: Sql, id: string): Promise<StoredUser | undefined> {
  const [row] = await sql<StoredUser[]>`
    select id, email, name, password_hash as "passwordHash" from users where id = ${id}`;
  return row;
}

/** The tenant a sign-in opens: the user's oldest membership. */
export async function firstMembership(sql: Sql, userId: string): Promise<{ tenantId: string; role: Role } | undefined> {
  const [row] = await sql<{ tenantId: string; role: Role }[]>`
    select tenant_id as "tenantId", role from memberships where user_id = ${userId}
    order by created_at, tenant_id limit 1`;
  return row;
}

export async function createSession(
  sql: Sql,
  s: { idHash: Buffer; tenantId: string; userId: string; csrfToken: string; nowMs: number },
): Promise<void> {
  const at = new Date(s.nowMs);
  await sql`
    insert into sessions (id_hash, tenant_id, user_id, csrf_token, created_at, last_seen_at)
    values (${s.idHash}, ${s.tenantId}, ${s.userId}, ${s.csrfToken}, ${at}, ${at})`;
}

export async function findSession(sql: Sql, idHash: Buffer): Promise<StoredSession | undefined> {
  const [row] = await sql<StoredSession[]>`
    select s.tenant_id as "tenantId", t.slug as "tenantSlug", t.name as "tenantName", s.user_id as "userId",
           u.email, u.name, m.role, u.email_verified_at is not null as "emailVerified", s.csrf_token as "csrfToken", s.created_at as "createdAt",
           s.last_seen_at as "lastSeenAt"
    from sessions s
    join memberships m on m.tenant_id = s.tenant_id and m.user_id = s.user_id
    join users u on u.id = s.user_id
    join tenants t on t.id = s.tenant_id
    where s.id_hash = ${idHash}`;
  return row;
}

export async function touchSession(sql: Sql, idHash: Buffer, nowMs: number): Promise<void> {
  await sql`update sessions set last_seen_at = greatest(last_seen_at, ${new Date(nowMs)}) where id_hash = ${idHash}`;
}

export async function deleteSession(sql: Sql, idHash: Buffer): Promise<void> {
  await sql`delete from sessions where id_hash = ${idHash}`;
}

/** A new password hash; every session of the user ends in the same transaction (docs/security.md#accounts). */
export async function setPassword(sql: Sql, userId: string, passwordHash: string, nowMs: number): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`update users set password_hash = ${passwordHash}, password_changed_at = ${new Date(nowMs)} where id = ${userId}`;
    await tx`delete from sessions where user_id = ${userId}`;
  });
}

/** Replaces a hash made with a lower cost, without ending sessions (the password is the same). */
export async function rehashPassword(sql: Sql, userId: string, passwordHash: string): Promise<void> {
  await sql`update users set password_hash = ${passwordHash} where id = ${userId}`;
}

/** Sessions past their absolute lifetime (maintenance may call this; expired rows are refused anyway). */
export async function deleteSessionsCreatedBefore(sql: Sql, beforeMs: number): Promise<number> {
  return (await sql`delete from sessions where created_at < ${new Date(beforeMs)}`).count;
}

export interface Member {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  createdAt: Date;
}

export async function listMembers(sql: Sql, tenantId: string): Promise<Member[]> {
  return sql<Member[]>`
    select u.id, u.email, u.name, m.role, m.created_at as "createdAt"
    from memberships m join users u on u.id = m.user_id
    where m.tenant_id = ${tenantId} order by m.created_at, u.id`;
}

/**
 * Changes a member's role (or removes the member: `to` null) under a lock of the tenant's memberships, so two
 * concurrent changes cannot both remove the last owner. `decide` sees the member's current role and may refuse (its
 * message is thrown); the change and its audit entry commit together. Removing a member ends their sessions in the
 * tenant (foreign key cascade). undefined: no such member in this tenant; 'last_owner': it would leave none.
 */
export async function changeMember(
  sql: Sql,
  tenantId: string,
  userId: string,
  to: Role | null,
  decide: (current: Member) => void,
  audit: (before: Member) => AuditEntry,
): Promise<Member | 'last_owner' | undefined> {
  return sql.begin(async (tx) => {
    const rows = await tx<Member[]>`
      select u.id, u.email, u.name, m.role, m.created_at as "createdAt"
      from memberships m join users u on u.id = m.user_id
      where m.tenant_id = ${tenantId} order by m.user_id for update of m`;
    const current = rows.find((r) => r.id === userId);
    if (!current) return undefined;
    decide(current);
    const ownersAfter = rows.filter((r) => (r.id === userId ? to === 'owner' : r.role === 'owner')).length;
    // Never the change that removes the last owner (a tenant an operator made without members has none to keep).
    if (ownersAfter === 0 && rows.some((r) => r.role === 'owner')) return 'last_owner';
    if (to === null) await tx`delete from memberships where tenant_id = ${tenantId} and user_id = ${userId}`;
    else await tx`update memberships set role = ${to} where tenant_id = ${tenantId} and user_id = ${userId}`;
    await appendAudit(tx as unknown as Sql, audit(current));
    return { ...current, role: to ?? current.role };
  });
}

// ── Invites (migration 028) ──

export interface Invite {
  id: string;
  tenantId: string;
  email: string;
  role: Role;
  invitedBy: string;
  createdAt: Date;
  expiresAt: Date;
  acceptedAt: Date | null;
  revokedAt: Date | null;
}

const INVITE_COLUMNS = (sql: Sql) => sql`
  id, tenant_id as "tenantId", email, role, invited_by as "invitedBy", created_at as "createdAt",
  expires_at as "expiresAt", accepted_at as "acceptedAt", revoked_at as "revokedAt"`;

export async function tenantName(sql: Sql, tenantId: string): Promise<string | undefined> {
  const [row] = await sql<{ name: string }[]>`select name from tenants where id = ${tenantId}`;
  return row?.name;
}

export async function isMember(sql: Sql, tenantId: string, email: string): Promise<boolean> {
  const [row] = await sql`
    select 1 from memberships m join users u on u.id = m.user_id where m.tenant_id = ${tenantId} and u.email = ${email}`;
  return row !== undefined;
}

/** A new invite and its audit entry, in one transaction. */
export async function createInvite(
  sql: Sql,
  i: {
    tenantId: string;
    email: string;
    role: Role;
    tokenHash: Buffer;
    invitedBy: string;
    nowMs: number;
    ttlMs: number;
  },
  audit: (invite: Invite) => AuditEntry,
): Promise<Invite> {
  return sql.begin(async (tx) => {
    const [row] = await tx<Invite[]>`
      insert into invites (id, tenant_id, email, role, token_hash, invited_by, created_at, expires_at)
      values (${randomUUID()}, ${i.tenantId}, ${i.email}, ${i.role}, ${i.tokenHash}, ${i.invitedBy},
              ${new Date(i.nowMs)}, ${new Date(i.nowMs + i.ttlMs)})
      returning ${INVITE_COLUMNS(tx as unknown as Sql)}`;
    await appendAudit(tx as unknown as Sql, audit(row!));
    return row!;
  });
}

/** The tenant's invites that are neither accepted, revoked nor expired, newest first. */
export async function listOpenInvites(sql: Sql, tenantId: string, nowMs: number): Promise<Invite[]> {
  return sql<Invite[]>`
    select ${INVITE_COLUMNS(sql)} from invites
    where tenant_id = ${tenantId} and accepted_at is null and revoked_at is null and expires_at > ${new Date(nowMs)}
    order by created_at desc, id`;
}

/** Revokes an open invite of the tenant (with its audit entry); undefined when there is no such open invite. */
export async function revokeInvite(
  sql: Sql,
  tenantId: string,
  id: string,
  nowMs: number,
  audit: (invite: Invite) => AuditEntry,
): Promise<Invite | undefined> {
  return sql.begin(async (tx) => {
    const [row] = await tx<Invite[]>`
      update invites set revoked_at = ${new Date(nowMs)}
      where tenant_id = ${tenantId} and id = ${id} and accepted_at is null and revoked_at is null
        and expires_at > ${new Date(nowMs)}
      returning ${INVITE_COLUMNS(tx as unknown as Sql)}`;
    if (row) await appendAudit(tx as unknown as Sql, audit(row));
    return row;
  });
}

/** The invite a token opens, if it is still open (not accepted, revoked or expired). */
export async function findOpenInvite(sql: Sql, tokenHash: Buffer, nowMs: number): Promise<Invite | undefined> {
  const [row] = await sql<Invite[]>`
    select ${INVITE_COLUMNS(sql)} from invites
    where token_hash = ${tokenHash} and accepted_at is null and revoked_at is null and expires_at > ${new Date(nowMs)}`;
  return row;
}

/**
 * Accepts an invite in one transaction: the invite is marked accepted only if it is still open (so two concurrent
 * accepts cannot both succeed), then either a new user is created (`newUser`) or the existing `userId` joins, with
 * the invite's role; the audit entry commits with it. 'gone': the invite is no longer open; 'already_member'.
 * Throws EmailTakenError when a new user's address got an account meanwhile.
 */
export async function acceptInvite(
  sql: Sql,
  a: {
    tokenHash: Buffer;
    nowMs: number;
    user: { existingId: string } | { email: string; name: string | null; passwordHash: string };
  },
  audit: (invite: Invite, userId: string) => AuditEntry,
): Promise<{ invite: Invite; userId: string } | 'gone' | 'already_member'> {
  const at = new Date(a.nowMs);
  try {
    return await sql.begin(async (tx) => {
      const [invite] = await tx<Invite[]>`
        update invites set accepted_at = ${at}
        where token_hash = ${a.tokenHash} and accepted_at is null and revoked_at is null and expires_at > ${at}
        returning ${INVITE_COLUMNS(tx as unknown as Sql)}`;
      if (!invite) return 'gone' as const;
      // The link reached the invited address: that proves it (docs/api.md#e-mail-verification).
      let userId: string;
      if ('existingId' in a.user) {
        userId = a.user.existingId;
        await tx`
          update users set email_verified_at = coalesce(email_verified_at, ${at})
          where id = ${userId} and email = ${invite.email}`;
      } else {
        userId = randomUUID();
        await tx`
          insert into users (id, email, name, password_hash, created_at, password_changed_at, email_verified_at)
          values (${userId}, ${a.user.email}, ${a.user.name}, ${a.user.passwordHash}, ${at}, ${at}, ${at})`;
      }
      const joined = await tx`
        insert into memberships (tenant_id, user_id, role, created_at)
        values (${invite.tenantId}, ${userId}, ${invite.role}, ${at}) on conflict do nothing returning 1`;
      if (joined.count === 0) {
        // Roll back (the invite stays open for nobody else to misuse: it names this address only).
        throw new AlreadyMember();
      }
      await appendAudit(tx as unknown as Sql, audit(invite, userId));
      return { invite, userId };
    });
  } catch (e) {
    if (e instanceof AlreadyMember) return 'already_member';
    if (isUniqueViolation(e) && (e as { constraint_name?: string }).constraint_name === 'users_email')
      throw new EmailTakenError('an account with this e-mail address exists', { cause: e });
    throw e;
  }
}
class AlreadyMember extends Error {}

// ── Password resets (migration 028) ──

/** A new reset token for the user; earlier unused ones of the user stop working. */
export async function createPasswordReset(
  sql: Sql,
  r: { userId: string; tokenHash: Buffer; nowMs: number; ttlMs: number },
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`delete from password_resets where user_id = ${r.userId}`;
    await tx`
      insert into password_resets (token_hash, user_id, created_at, expires_at)
      values (${r.tokenHash}, ${r.userId}, ${new Date(r.nowMs)}, ${new Date(r.nowMs + r.ttlMs)})`;
  });
}

/** The user an open (unused, unexpired) reset token names. */
export async function findOpenPasswordReset(
  sql: Sql,
  tokenHash: Buffer,
  nowMs: number,
): Promise<{ userId: string; email: string } | undefined> {
  const [row] = await sql<{ userId: string; email: string }[]>`
    select r.user_id as "userId", u.email from password_resets r join users u on u.id = r.user_id
    where r.token_hash = ${tokenHash} and r.used_at is null and r.expires_at > ${new Date(nowMs)}`;
  return row;
}

/**
 * Uses a reset token: marks it used only if still open, sets the password, ends every session of the user and
 * appends `audit` for each tenant the user belongs to, in one transaction. undefined: the token is not open.
 */
export async function resetPassword(
  sql: Sql,
  r: { tokenHash: Buffer; passwordHash: string; nowMs: number },
  audit: (tenantId: string, userId: string) => AuditEntry,
): Promise<{ userId: string } | undefined> {
  const at = new Date(r.nowMs);
  return sql.begin(async (tx) => {
    const [used] = await tx<{ userId: string }[]>`
      update password_resets set used_at = ${at}
      where token_hash = ${r.tokenHash} and used_at is null and expires_at > ${at}
      returning user_id as "userId"`;
    if (!used) return undefined;
    // The link was e-mailed to the account's address: opening it proves the address.
    await tx`
      update users set password_hash = ${r.passwordHash}, password_changed_at = ${at},
                       email_verified_at = coalesce(email_verified_at, ${at})
      where id = ${used.userId}`;
    await tx`delete from sessions where user_id = ${used.userId}`;
    await tx`delete from password_resets where user_id = ${used.userId} and used_at is null`;
    const tenants = await tx<{ tenantId: string }[]>`
      select tenant_id as "tenantId" from memberships where user_id = ${used.userId} order by tenant_id`;
    for (const t of tenants) await appendAudit(tx as unknown as Sql, audit(t.tenantId, used.userId));
    return used;
  });
}

/**
 * POST /v1/auth/forgot's one statement, the same whether or not the address has an account: a request row for the
 * account's user (zero rows when there is none). The dispatcher sends it (claimPasswordResetRequests).
 */
export async function requestPasswordReset(sql: Sql, email: string, nowMs: number): Promise<void> {
  await sql`
    insert into password_reset_requests (id, user_id, requested_at)
    select ${randomUUID()}, id, ${new Date(nowMs)} from users where email = ${email}`;
}

/**
 * Claims up to `limit` unsent reset requests (marked sent now, so a concurrent dispatcher skips them), one per user:
 * several requests of one user make one mail. The caller makes the token and sends the mail.
 */
export async function claimPasswordResetRequests(
  sql: Sql,
  nowMs: number,
  limit: number,
): Promise<{ userId: string; email: string; tenantId: string | null }[]> {
  type Claimed = { userId: string; email: string; tenantId: string | null };
  return sql.begin(async (tx): Promise<Claimed[]> => {
    const claimed = await tx<{ userId: string }[]>`
      update password_reset_requests set sent_at = ${new Date(nowMs)}
      where id in (
        select id from password_reset_requests where sent_at is null
        order by requested_at, id limit ${limit} for update skip locked)
      returning user_id as "userId"`;
    const ids = [...new Set(claimed.map((c) => c.userId))];
    if (ids.length === 0) return [];
    return tx<Claimed[]>`
      select u.id as "userId", u.email,
             (select tenant_id from memberships m where m.user_id = u.id order by created_at, tenant_id limit 1)
               as "tenantId"
      from users u where u.id = any(${tx.array(ids)}::uuid[]) order by u.id`;
  });
}

// ── E-mail verification (migration 030) ──

/** A new verification token for the user; earlier unused ones stop working (a re-sent link replaces the last). */
export async function createEmailVerification(
  sql: Sql,
  v: { userId: string; tokenHash: Buffer; nowMs: number; ttlMs: number },
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`delete from email_verifications where user_id = ${v.userId}`;
    await tx`
      insert into email_verifications (token_hash, user_id, created_at, expires_at)
      values (${v.tokenHash}, ${v.userId}, ${new Date(v.nowMs)}, ${new Date(v.nowMs + v.ttlMs)})`;
  });
}

/** Whether the user has proved the e-mail address. */
export async function isEmailVerified(sql: Sql, userId: string): Promise<boolean> {
  const [row] = await sql<{ verified: boolean }[]>`
    select email_verified_at is not null as verified from users where id = ${userId}`;
  return row?.verified ?? false;
}

/**
 * Uses a verification token: marks it used only if still open, marks the address verified, drops the user's other
 * tokens and appends `audit` for each tenant of the user, in one transaction. undefined: the token is not open.
 */
export async function verifyEmail(
  sql: Sql,
  v: { tokenHash: Buffer; nowMs: number },
  audit: (tenantId: string, userId: string) => AuditEntry,
): Promise<{ userId: string } | undefined> {
  const at = new Date(v.nowMs);
  return sql.begin(async (tx) => {
    const [used] = await tx<{ userId: string }[]>`
      update email_verifications set used_at = ${at}
      where token_hash = ${v.tokenHash} and used_at is null and expires_at > ${at}
      returning user_id as "userId"`;
    if (!used) return undefined;
    await tx`update users set email_verified_at = coalesce(email_verified_at, ${at}) where id = ${used.userId}`;
    await tx`delete from email_verifications where user_id = ${used.userId} and used_at is null`;
    const tenants = await tx<{ tenantId: string }[]>`
      select tenant_id as "tenantId" from memberships where user_id = ${used.userId} order by tenant_id`;
    for (const t of tenants) await appendAudit(tx as unknown as Sql, audit(t.tenantId, used.userId));
    return used;
  });
}

/** Accounts and sessions (Adapters.accounts). */
export const createAccountsStore = (sql: Sql) =>
  bindSql(sql, {
    createAccount,
    createMember,
    listMembers,
    changeMember,
    findUserByEmail,
    findUserById,
    firstMembership,
    createSession,
    findSession,
    touchSession,
    deleteSession,
    setPassword,
    rehashPassword,
    deleteSessionsCreatedBefore,
    tenantName,
    isMember,
    createInvite,
    listOpenInvites,
    revokeInvite,
    findOpenInvite,
    acceptInvite,
    createPasswordReset,
    findOpenPasswordReset,
    resetPassword,
    requestPasswordReset,
    claimPasswordResetRequests,
    createEmailVerification,
    isEmailVerified,
    verifyEmail,
  });
export type AccountsStore = ReturnType<typeof createAccountsStore>;
