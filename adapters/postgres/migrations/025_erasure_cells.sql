-- The cells an erasure touched (docs/architecture.md#erasure): per job, every (project, event type, 10s bucket) that
-- held one of the erased events, written by the erasure step from the deleted rows themselves. The step decrements
-- the counts and sums of these cells (and of the 1m, 5m and UTC 1h buckets holding them) in its own transaction;
-- the unique-user and percentile sketches cannot be decremented, so the job recomputes them for these cells only,
-- hour by hour, and deletes an hour's rows once the hour is done (the job's `hours` says which are left).
-- `numbers`: some erased event of the cell had a top-level numeric property (its percentile sketches change).
create table erasure_cells (
  tenant_id     uuid not null,
  job_id        uuid not null,
  bucket_start  timestamptz not null,
  project_id    uuid not null,
  event_type    text collate "C" not null,
  numbers       boolean not null,
  primary key (tenant_id, job_id, bucket_start, project_id, event_type)
);
