-- Tenant time zones (docs/api.md#time-zones, docs/architecture.md#time-zones): 1h and 1d buckets start at the
-- tenant's local hours and midnights. `timezone` is the canonical IANA name core/timezone.ts parseTimeZone returns;
-- bucket starts are computed in JavaScript (core/timezone.ts) and stored as UTC instants, so Postgres's own tz data
-- never decides a bucket. `zone_generation` grows on every zone change and is part of the Redis keys of 1h/1d values
-- (adapters/redis/rollup-cache.ts), so a value cached under an earlier zone is never served again, even after
-- switching back to that zone. Both are read by writers under the tenant's shared rollup lock and changed only
-- under its exclusive lock (adapters/postgres/rollup-lock.ts), together with the re-bucketing of the 1h/1d rows.
alter table tenants add column if not exists timezone text not null default 'UTC';
alter table tenants add column if not exists zone_generation bigint not null default 0;

-- One row per zone change: the re-bucketing it did (adapters/postgres/rebucket.ts). It runs inside the change's
-- transaction, so a row is written finished; GET /v1/tenant shows the latest.
create table if not exists tenant_rebucketings (
  tenant_id     uuid not null references tenants (id) on delete cascade,
  generation    bigint not null,
  from_timezone text not null,
  to_timezone   text not null,
  started_at    timestamptz not null,
  finished_at   timestamptz not null,
  rows_written  bigint not null,
  primary key (tenant_id, generation)
);
