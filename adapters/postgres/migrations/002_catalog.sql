-- The event catalog: event types and their top-level properties per project, and schema/cap rejections.
-- changed_at moves only on changes that matter to ingest (new rows, new observed types, declarations), not on
-- last_seen, so every process can refresh its cached catalog by reading only what changed.

create table event_types (
  tenant_id   uuid not null,
  project_id  uuid not null,
  event_type  text collate "C" not null check (char_length(event_type) between 1 and 200),
  description text check (char_length(description) <= 1000),
  status      text not null default 'active' check (status in ('active', 'deprecated')),
  -- true once declared with PUT /v1/catalog/{event_type}; registered-only types are false
  declared    boolean not null default false,
  -- null while a declared type has not been seen yet
  first_seen  timestamptz,
  last_seen   timestamptz,
  changed_at  timestamptz not null default now(),
  primary key (tenant_id, project_id, event_type),
  foreign key (tenant_id, project_id) references projects (tenant_id, id) on delete cascade
);
create index event_types_changed on event_types (tenant_id, project_id, changed_at);

create table event_properties (
  tenant_id      uuid not null,
  project_id     uuid not null,
  event_type     text collate "C" not null,
  -- top-level property name
  property       text collate "C" not null check (char_length(property) between 1 and 200),
  observed_types text[] not null default '{}'
                 check (observed_types <@ array['string', 'number', 'boolean', 'object', 'array', 'null']),
  declared_type  text check (declared_type in ('string', 'number', 'boolean', 'object', 'array')),
  first_seen     timestamptz,
  last_seen      timestamptz,
  changed_at     timestamptz not null default now(),
  primary key (tenant_id, project_id, event_type, property),
  foreign key (tenant_id, project_id, event_type) references event_types (tenant_id, project_id, event_type) on delete cascade
);
create index event_properties_changed on event_properties (tenant_id, project_id, changed_at);

-- Rejections by strict mode and by the caps: counted, with the 10 most recent samples {at, message, event_id}.
create table catalog_violations (
  tenant_id  uuid not null,
  project_id uuid not null,
  event_type text collate "C" not null,
  reason     text collate "C" not null check (reason in ('unknown_event_type', 'type_mismatch', 'catalog_limit')),
  count      bigint not null check (count > 0),
  first_seen timestamptz not null,
  last_seen  timestamptz not null,
  samples    jsonb not null default '[]' check (jsonb_typeof(samples) = 'array' and jsonb_array_length(samples) <= 10),
  -- the database's clock (first_seen is the ingesting process's): what a cache refresh reads new rows by
  created_at timestamptz not null default now(),
  primary key (tenant_id, project_id, event_type, reason),
  foreign key (tenant_id, project_id) references projects (tenant_id, id) on delete cascade
);

-- Types that already have events are in the catalog from the start (a strict project keeps accepting them).
-- Hour precision: the hourly rollups are what is cheap to read here.
insert into event_types (tenant_id, project_id, event_type, first_seen, last_seen)
select r.tenant_id, r.project_id, r.event_type, min(r.bucket_start), max(r.bucket_start)
from rollups r
join projects p on p.tenant_id = r.tenant_id and p.id = r.project_id
where r.metric = 'count' and r.interval = '1h' and char_length(r.event_type) between 1 and 200
group by r.tenant_id, r.project_id, r.event_type;
