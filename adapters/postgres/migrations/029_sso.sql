-- Single sign-on with OpenID Connect (docs/api.md#single-sign-on-sso, docs/security.md#single-sign-on): one issuer
-- configuration per tenant. The client secret must be presented to the issuer, so it cannot be hashed: it is stored
-- sealed with AES-256-GCM (adapters/oidc/secret-box.ts) under a key that is not in the database (SSO_SECRET_KEY, or
-- the Secrets Manager secret in AWS), with the tenant id as additional data.
-- People SSO provisions get a password nobody knows (a random one, hashed like any other): they sign in with SSO, or
-- set a password through the reset link (POST /v1/auth/forgot) first. users.password_hash stays not null.

create table sso_configs (
  tenant_id         uuid primary key references tenants (id) on delete cascade,
  issuer            text not null,
  client_id         text not null,
  client_secret_enc bytea not null,         -- version (1) | iv (12) | GCM tag (16) | ciphertext
  allowed_domains   text[] not null,
  default_role      text not null check (default_role in ('admin', 'editor', 'viewer')),
  enabled           boolean not null,
  created_at        timestamptz not null,
  updated_at        timestamptz not null
);

-- Who signed in through which issuer, by the issuer's stable subject (sub): kept for audit and support.
create table sso_identities (
  tenant_id  uuid not null references tenants (id) on delete cascade,
  issuer     text not null,
  subject    text not null,
  user_id    uuid not null references users (id) on delete cascade,
  created_at timestamptz not null,
  last_login timestamptz not null,
  primary key (tenant_id, issuer, subject)
);
create index sso_identities_user on sso_identities (user_id);
