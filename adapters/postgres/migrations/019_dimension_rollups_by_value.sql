-- Breakdowns by a declared dimension (docs/api.md#breakdowns, docs/architecture.md#metrics-engine) read each bucket's
-- rows of the shown values and '$none' only: this index puts value_key before bucket_start, so a read of 10 values
-- over 1 440 buckets visits their rows, not the rows of every value of the range. '$other' is then each bucket's
-- total (rollups) minus the shown values and '$none'.
create index dimension_rollups_by_value
  on dimension_rollups (tenant_id, project_id, event_type, dimension, interval, value_key, bucket_start);
