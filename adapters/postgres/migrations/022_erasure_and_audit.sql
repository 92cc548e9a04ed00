-- Erasure and access (docs/api.md#erasure-and-access, docs/architecture.md#erasure): erasure jobs, the hashed ids of
-- erased events that exactly-once dedupe still needs, and the append-only audit log.

-- One row per DELETE /v1/users/{id}. A job is restartable: `hours` and `days` are the (UTC) hours and days whose
-- derived data is still to be recomputed; each is removed once its rows are swapped in and refreshed in Redis.
-- status: pending (nothing erased yet) -> running (raw rows and profile erased, recomputing) -> done; or failed.
create table erasure_jobs (
  tenant_id      uuid not null,
  id             uuid not null,
  person         text collate "C" not null,        -- the id the request named (kept as the record of the request)
  project_ids    uuid[] not null,                  -- the projects the erasure covers (the requesting key's reach)
  requested_by   text not null,                    -- the actor, as audit_log.actor
  status         text not null check (status in ('pending', 'running', 'done', 'failed')),
  events_erased  bigint,
  ids_erased     integer,                          -- how many distinct ids the person had (the ids themselves are not kept)
  hours          timestamptz[] not null default '{}',
  days           timestamptz[] not null default '{}',
  attempts       integer not null default 0,
  error          text,
  requested_at   timestamptz not null,
  started_at     timestamptz,
  finished_at    timestamptz,
  primary key (tenant_id, id)
);
create index erasure_jobs_open on erasure_jobs (requested_at) where status in ('pending', 'running');

-- Erased events' ids, hashed: sha256 of the event id's UTF-8 bytes, per tenant. An erased event leaves event_ids (its
-- id in clear text) and gets a row here, so a redelivery from Kafka (a replay, a consumer restart) is refused by the
-- aggregate write path (aggregate-store.ts writeBatch) instead of storing the event again. Kept as long as event_ids
-- rows are (the raw retention, by event_ts): past it the aggregate step drops such old events before dedupe anyway.
create table erased_event_ids (
  tenant_id  uuid not null,
  id_hash    bytea not null,
  event_ts   timestamptz not null,
  primary key (tenant_id, id_hash)
);
create index erased_event_ids_event_ts on erased_event_ids (event_ts);

-- The merges naming an id (the erasure step deletes them, the person export lists them): without these, each would
-- scan every merge of the project.
create index identity_merges_from_id on identity_merges (tenant_id, project_id, from_id);
create index identity_merges_into_id on identity_merges (tenant_id, project_id, into_id);

-- Who did what, when, to what, with the state before and after. Append-only: the app role may insert and read,
-- never update or delete (below). `actor_kind` says what `actor_id` names: an API key id, later a user, or the
-- platform itself ('system', e.g. the erasure job finishing). `action` is dotted (person.erase, person.export, ...);
-- `target` is what it acted on (a person's id, a key id, ...). GET /v1/audit-log will page by (tenant_id, id).
create table audit_log (
  tenant_id   uuid not null,
  id          bigint generated always as identity,
  at          timestamptz not null,
  actor_kind  text not null check (actor_kind in ('api_key', 'user', 'system')),
  actor_id    text not null,
  action      text not null,
  target      text,
  before      jsonb,
  after       jsonb,
  primary key (tenant_id, id)
);
create index audit_log_at on audit_log (tenant_id, at);

-- Migration 013's default privileges gave the app role select, insert, update and delete on these tables; the audit
-- log keeps only insert and select.
revoke update, delete, truncate on audit_log from customersignal_app;
