-- People: the ids an event names, the persons they belong to, and merges (docs/architecture.md#people-and-identity,
-- docs/api.md#people).
--
-- An event names one distinct id: events.user_id, which is the user id when one was sent and else the anonymous id
-- (as the Segment mapping always did). events.anonymous_id keeps the anonymous id the event carried, if any; an event
-- with both (and they differ) merges the anonymous id into the user, as does identify. An id is *identified* once an
-- event named it as a user id (anonymous_id null or different).
alter table events add column anonymous_id text;

-- One row per distinct id a project has seen, written with the events (same transaction) so the counts are exact.
-- person_id is the id of the person the id belongs to: the id itself until a merge moves it. Every id of a person
-- carries the same person_id, so `events e join distinct_ids d on d.distinct_id = e.user_id` gives each event's
-- person (adapters/postgres/person-of-event.ts).
create table distinct_ids (
  tenant_id    uuid not null,
  project_id   uuid not null,
  distinct_id  text collate "C" not null,
  person_id    text collate "C" not null,
  identified   boolean not null,
  first_seen   timestamptz not null,
  last_seen    timestamptz not null,
  event_count  bigint not null,
  primary key (tenant_id, project_id, distinct_id)
);
create index distinct_ids_person on distinct_ids (tenant_id, project_id, person_id);

-- A person's latest traits (identify), keyed by its person_id; merged persons' traits are merged into the survivor.
create table persons (
  tenant_id   uuid not null,
  project_id  uuid not null,
  person_id   text collate "C" not null,
  traits      jsonb not null default '{}',
  traits_at   timestamptz,            -- the timestamp of the event that last set a trait
  primary key (tenant_id, project_id, person_id)
);
create index persons_traits on persons using gin (traits jsonb_path_ops);

-- Every merge asked for, in the order it was applied, with its outcome (merged, already merged, or refused and why).
create table identity_merges (
  tenant_id   uuid not null,
  project_id  uuid not null,
  seq         bigint generated always as identity,
  event_id    text collate "C" not null,
  ts          timestamptz not null,
  from_id     text collate "C" not null,
  into_id     text collate "C" not null,
  outcome     text not null check (outcome in ('merged', 'already_merged', 'refused')),
  reason      text,
  applied_at  timestamptz not null default now(),
  primary key (tenant_id, project_id, seq)
);
