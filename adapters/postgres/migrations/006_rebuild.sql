-- `customersignal rebuild` replaces a tenant's buckets of some intervals over a time range (every project, event
-- type and metric); without these indexes each hour it rebuilds would walk all of the tenant's rows.
create index if not exists rollups_tenant_interval_bucket on rollups (tenant_id, interval, bucket_start);
create index if not exists rollup_sketches_tenant_interval_bucket on rollup_sketches (tenant_id, interval, bucket_start);

-- Rollup and sketch versions only ever grow, even across a row deleted and created again (10s buckets dropped by
-- retention, a damaged row repaired by rebuild): a write takes the larger of the old version + 1 and the
-- statement's time in microseconds, so a recreated row outranks whatever Redis cached of its earlier life.
create or replace function rollup_next_version(prev bigint) returns bigint
  language sql stable parallel safe
  as $$ select greatest(coalesce(prev, 0) + 1, (extract(epoch from statement_timestamp()) * 1000000)::bigint) $$;
