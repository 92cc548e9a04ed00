-- The key GET /v1/events/export signs its cursors with (HMAC-SHA256, core/event-export.ts), one per deployment,
-- generated here so no secret needs configuring (docs/architecture.md#event-export). Not tenant data, so not keyed
-- by tenant (a documented exception to docs/architecture.md#rule-5-tenant-in-every-key). Replacing the key makes
-- every outstanding export cursor a 400 invalid_cursor; exports then start again.
create table if not exists server_keys (
  name       text collate "C" primary key,
  key        bytea not null,
  created_at timestamptz not null default now()
);

-- 244 random bits from two version-4 UUIDs (gen_random_uuid is built in; pgcrypto is not required).
insert into server_keys (name, key)
values ('export_cursor', decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'))
on conflict (name) do nothing;
