// Accounts in Postgres (migration 026): users, their membership of tenants, server-side sessions (only the session
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
 * A user who joins an existing tenant with a role (an accepted invite; tests and operators). Throws EmailTakenError
 * when the address has an account.
 */
export async function createMember(
  sql: Sql,
  m: { tenantId: string; email: string; name: string | null; passwordHash: string; role: Role; nowMs: number },
): Promise<{ id: string }> {
  const at = new Date(m.nowMs);
  const id = randomUUID();
  try {
    await sql.begin(async (tx) => {
      await tx`
        insert into users (id, email, name, password_hash, created_at, password_changed_at)
        values (${id}, ${m.email}, ${m.name}, ${m.passwordHash}, ${at}, ${at})`;
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
           u.email, u.name, m.role, s.csrf_token as "csrfToken", s.created_at as "createdAt",
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
  });
export type AccountsStore = ReturnType<typeof createAccountsStore>;
