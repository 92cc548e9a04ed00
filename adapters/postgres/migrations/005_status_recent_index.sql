-- GET /v1/status counts a tenant's events of the last minute over every event type and project from the 10s
-- rollups; without this index that read would walk every series of the tenant.
create index if not exists rollups_recent_counts on rollups (tenant_id, bucket_start)
  where interval = '10s' and metric = 'count';
