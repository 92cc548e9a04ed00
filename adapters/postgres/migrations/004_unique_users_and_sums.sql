-- Unique users as HyperLogLog sketches (postgresql-hll), one per (project, event type, interval, bucket); the
-- sketch is the truth (docs/architecture.md#rule-4-postgres-is-the-truth-redis-is-the-speed). Sums of numeric properties live in `rollups` as metrics
-- `sum:<property>` and `n:<property>` (numeric, exact), next to `count`.
--
-- Parameters (adapters/postgres/aggregate-store.ts HLL_PARAMS): log2m 16, regwidth 5, expthresh -1 (explicit
-- while small: exact for small buckets), sparse on. Standard error 1.04/sqrt(65536) = 0.41 %. postgresql-hll has
-- no HLL++ bias correction, so the error peaks just above the linear-counting cutoff (2.5 * 2^log2m distinct
-- values): measured +1.9 % at 45 000 for log2m 14 and +3.0 % at 80 000 for log2m 15, but <= 0.9 % from 20 000 to
-- 500 000 for log2m 16 (its bump sits at 164 000-330 000). Cost: ~2.6 bytes per distinct user while sparse,
-- 40 KB once full (beyond ~15 000 distinct users in one bucket). Every interval's sketch is maintained directly
-- from the batch: hll union is associative, commutative and idempotent, so this equals the union of the smaller
-- buckets' sketches.
create extension if not exists hll;

create table rollup_sketches (
  tenant_id    uuid not null,
  project_id   uuid not null,
  event_type   text collate "C" not null,
  interval     text collate "C" not null,
  bucket_start timestamptz not null,
  sketch       hll not null,
  version      bigint not null,
  updated_at   timestamptz not null default now(),
  primary key (tenant_id, project_id, event_type, interval, bucket_start)
);
create index rollup_sketches_tenant_type on rollup_sketches (tenant_id, event_type, interval, bucket_start);
