-- E-mail verification and the password-reset request queue (docs/api.md#e-mail-verification,
-- docs/security.md#accounts).
--
-- users.email_verified_at: when the address was proven (a verification link, an accepted invite or a reset link
-- opened); null until then. Accounts that existed before this migration are counted as verified (they were made by
-- an invite, an operator, or before the rule existed: locking their owners out of keys and invites would be worse).
alter table users add column email_verified_at timestamptz;
update users set email_verified_at = created_at;

-- Verification links: single-use, expiring; only sha256 of the link's random token is stored (like password_resets).
create table email_verifications (
  token_hash bytea primary key,
  user_id    uuid not null references users (id) on delete cascade,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  used_at    timestamptz
);
create index email_verifications_user on email_verifications (user_id);

-- POST /v1/auth/forgot only records a request here (one statement, whether or not the address has an account: it
-- inserts zero rows or one), so its answer takes the same work either way. The dispatcher makes the token and sends
-- the mail afterwards (functions/auth/recovery.ts sendRequestedResets). No secret is stored here.
create table password_reset_requests (
  id           uuid primary key,
  user_id      uuid not null references users (id) on delete cascade,
  requested_at timestamptz not null,
  sent_at      timestamptz
);
create index password_reset_requests_pending on password_reset_requests (requested_at) where sent_at is null;
