-- Accounts (docs/api.md#accounts, docs/security.md#accounts): people who sign in to the dashboard, their membership
-- of tenants with a role, and their server-side sessions. API keys stay the credential of programs.
--
-- users and sessions are deployment-wide, not per tenant: an e-mail address is one person across the deployment, and
-- a presented session id (like an API key) is looked up before any tenant is known. Everything a session may touch
-- is still scoped by the tenant the session row names (rule 5 holds for the tenant data itself).

create table users (
  id                  uuid primary key,
  -- Lower-cased and trimmed by core/accounts.ts (normaliseEmail) before it is stored or looked up.
  email               text not null,
  name                text,
  -- scrypt$<log2 N>$<r>$<p>$<salt b64url>$<hash b64url> (core/passwords.ts); never the password.
  password_hash       text not null,
  created_at          timestamptz not null,
  password_changed_at timestamptz not null
);
create unique index users_email on users (email);

create table memberships (
  tenant_id  uuid not null references tenants (id) on delete cascade,
  user_id    uuid not null references users (id) on delete cascade,
  role       text not null check (role in ('owner', 'admin', 'editor', 'viewer')),
  created_at timestamptz not null,
  primary key (tenant_id, user_id)
);
create index memberships_user on memberships (user_id);

-- Only sha256 of the opaque session id is stored: a copy of this table signs nobody in. The CSRF token is not a
-- credential on its own (it is useless without the cookie) and is handed back by GET /v1/me, so it is kept as is.
create table sessions (
  id_hash      bytea primary key,
  tenant_id    uuid not null,
  user_id      uuid not null references users (id) on delete cascade,
  csrf_token   text not null,
  created_at   timestamptz not null,   -- absolute expiry counts from here
  last_seen_at timestamptz not null,   -- idle expiry counts from here (written at most once a minute)
  foreign key (tenant_id, user_id) references memberships (tenant_id, user_id) on delete cascade
);
create index sessions_user on sessions (user_id);
create index sessions_created on sessions (created_at);
