-- Declared dimensions and their pre-aggregated breakdowns (docs/api.md#breakdowns, docs/architecture.md#metrics-engine).
--
-- event_dimensions: the top-level properties a project declared as dimensions of an event type
-- (PUT /v1/catalog/{event_type} "dimensions"). `max_values` is K, the number of distinct values a dimension keeps
-- per bucket (DIMENSION_MAX_VALUES when declared; stored so live writes, replay and rebuild all use the same K).
-- `complete_from`: every bucket starting at or after it holds every event in dimension_rollups; older buckets may
-- miss events aggregated before the declaration (reads take them from raw events; a rebuild moves it back).
create table event_dimensions (
  tenant_id     uuid not null,
  project_id    uuid not null,
  event_type    text collate "C" not null,
  dimension     text collate "C" not null,
  max_values    int not null check (max_values between 1 and 100000),
  complete_from timestamptz not null,
  declared_at   timestamptz not null default now(),   -- when the declaration held the tenant's rollup lock
  primary key (tenant_id, project_id, event_type, dimension)
);

-- One row per (dimension, interval, bucket) that has data: writers lock it (upsert, in key order) before they
-- read and change the bucket's value rows, so concurrent batches of one tenant (which hold its rollup lock shared)
-- take turns per bucket and the K cap holds.
create table dimension_buckets (
  tenant_id    uuid not null,
  project_id   uuid not null,
  event_type   text collate "C" not null,
  dimension    text collate "C" not null,
  interval     text collate "C" not null,
  bucket_start timestamptz not null,
  primary key (tenant_id, project_id, event_type, dimension, interval, bucket_start)
);
create index dimension_buckets_tenant_interval_bucket on dimension_buckets (tenant_id, interval, bucket_start);

-- The breakdown of a bucket: per kept value (value_key = md5 of the value's text, the K smallest are kept) and per
-- '$other' (values past K) and '$none' (events without the property), the metrics 'count', 'sum:<name>' and
-- 'n:<name>' of the event's top-level JSON-number properties, exactly as in rollups.
create table dimension_rollups (
  tenant_id    uuid not null,
  project_id   uuid not null,
  event_type   text collate "C" not null,
  dimension    text collate "C" not null,
  interval     text collate "C" not null,
  bucket_start timestamptz not null,
  value_key    text collate "C" not null,
  metric       text collate "C" not null,
  value        text not null,
  amount       numeric not null,
  primary key (tenant_id, project_id, event_type, dimension, interval, bucket_start, value_key, metric)
);
create index dimension_rollups_tenant_interval_bucket on dimension_rollups (tenant_id, interval, bucket_start);
