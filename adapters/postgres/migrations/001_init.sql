-- Tenants, projects, API keys, dedupe ids, raw events (partitioned by day), rollups, progress.

create table tenants (
  id          uuid primary key,
  slug        text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name        text not null check (length(name) between 1 and 200),
  created_at  timestamptz not null default now()
);

create table projects (
  tenant_id   uuid not null references tenants (id) on delete cascade,
  id          uuid not null,
  slug        text not null check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name        text not null check (length(name) between 1 and 200),
  schema_mode text not null default 'open' check (schema_mode in ('open', 'strict')),
  created_at  timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, slug)
);

-- Only the SHA-256 of a key is stored; the prefix finds candidates, the hash is compared in constant time.
create table api_keys (
  tenant_id    uuid not null references tenants (id) on delete cascade,
  id           uuid not null,
  prefix       text not null,
  key_hash     bytea not null unique,
  scopes       text[] not null check (cardinality(scopes) > 0 and scopes <@ array['ingest', 'read', 'admin']),
  project_id   uuid,
  name         text,
  created_at   timestamptz not null default now(),
  revoked_at   timestamptz,
  last_used_at timestamptz,
  primary key (tenant_id, id),
  foreign key (tenant_id, project_id) references projects (tenant_id, id)
);
create index api_keys_prefix on api_keys (prefix);

-- Dedupe of (tenant, event_id): not time-partitioned; kept at least as long as raw events.
create table event_ids (
  tenant_id  uuid not null,
  event_id   text collate "C" not null,
  event_ts   timestamptz not null,
  primary key (tenant_id, event_id)
);
create index event_ids_event_ts on event_ids (event_ts);

-- Raw events: append-only, one partition per UTC day, dropped whole by retention.
create table events (
  tenant_id   uuid not null,
  project_id  uuid not null,
  event_id    text collate "C" not null,
  event_type  text collate "C" not null,
  ts          timestamptz not null,
  received_at timestamptz not null,
  stored_at   timestamptz not null default now(),
  user_id     text,
  session_id  text,
  properties  jsonb not null default '{}',
  primary key (tenant_id, ts, event_id)
) partition by range (ts);
create index events_tenant_type_ts on events (tenant_id, event_type, ts);

-- Time-bucketed metrics; version increases on every change and guards Redis writes.
create table rollups (
  tenant_id    uuid not null,
  project_id   uuid not null,
  event_type   text collate "C" not null,
  metric       text collate "C" not null,
  interval     text collate "C" not null,
  bucket_start timestamptz not null,
  value        numeric not null,
  version      bigint not null,
  updated_at   timestamptz not null default now(),
  primary key (tenant_id, project_id, event_type, metric, interval, bucket_start)
);
create index rollups_tenant_type on rollups (tenant_id, event_type, metric, interval, bucket_start);

-- How far the aggregate step has processed each tenant's events (data_as_of).
create table tenant_progress (
  tenant_id         uuid primary key,
  processed_through timestamptz not null,
  updated_at        timestamptz not null default now()
);
