-- Invites and password resets (docs/api.md#accounts, docs/security.md#accounts): single-use, expiring links. Only
-- sha256 of a link's random token is stored, like a session id: a copy of these tables opens nothing.

create table invites (
  id          uuid primary key,
  tenant_id   uuid not null references tenants (id) on delete cascade,
  -- Normalised like users.email; whoever accepts becomes (or must already be) this address's account.
  email       text not null,
  role        text not null check (role in ('owner', 'admin', 'editor', 'viewer')),
  token_hash  bytea not null,
  invited_by  text not null,               -- the actor, as audit_log writes it ('user:<id>' or 'api_key:<id>')
  created_at  timestamptz not null,
  expires_at  timestamptz not null,
  accepted_at timestamptz,
  revoked_at  timestamptz
);
create unique index invites_token on invites (token_hash);
create index invites_tenant on invites (tenant_id, created_at);

create table password_resets (
  token_hash bytea primary key,
  user_id    uuid not null references users (id) on delete cascade,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at    timestamptz
);
create index password_resets_user on password_resets (user_id);
