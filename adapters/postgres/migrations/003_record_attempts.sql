-- Poison records (docs/architecture.md#rule-3-offsets-move-only-after-the-effect): attempts of records that failed on their own, and redrives from the DLQ.
--
-- Exception to docs/architecture.md#rule-5-tenant-in-every-key (tenant in every primary key): both tables are keyed by a position in a Kafka topic,
-- which identifies the record whoever it belongs to, and a record that could not be decoded has no known
-- tenant. tenant_id is kept where it is known, for operators; no tenant-facing query reads these tables.

-- One row per record of events_raw that failed on its own. Healthy records never get a row.
-- A record that cannot be decoded is dead-lettered at once: attempts = 1 and dead_lettered_at set together.
create table record_attempts (
  topic            text not null,
  partition        int not null check (partition >= 0),
  "offset"         bigint not null check ("offset" >= 0),
  tenant_id        uuid,
  -- sha256 of key and value: a different record at the same position (topic created again) starts over
  fingerprint      bytea not null,
  attempts         int not null check (attempts > 0),
  first_error      text not null,
  last_error       text not null,
  first_failed_at  timestamptz not null default now(),
  updated_at       timestamptz not null default now(),
  -- set after the record was written to events_dlq; later deliveries of it are then skipped
  dead_lettered_at timestamptz,
  primary key (topic, partition, "offset")
);
create index record_attempts_tenant on record_attempts (tenant_id, updated_at) where tenant_id is not null;

-- One row per DLQ record re-produced to events_raw by `customersignal dlq redrive`: a second redrive skips it.
create table dlq_redrives (
  dlq_topic        text not null,
  dlq_partition    int not null check (dlq_partition >= 0),
  dlq_offset       bigint not null check (dlq_offset >= 0),
  tenant_id        uuid,
  target_topic     text not null,
  target_partition int not null,
  target_offset    bigint not null,
  redriven_at      timestamptz not null default now(),
  primary key (dlq_topic, dlq_partition, dlq_offset)
);
