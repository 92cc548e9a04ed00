-- Funnels and retention (docs/architecture.md#funnels, #retention) read a project's events of a few event types in a
-- time range, and of each only its person (user_id), its timestamp and its event_id (the tie-break between equal
-- timestamps) unless a step has property filters or the query a breakdown. This index holds exactly those columns,
-- so such reads are index-only scans of each daily partition once it is vacuumed (no heap pages, no jsonb
-- properties read): 1.5-2x faster scans in docs/benchmarks.md#the-analytics-benchmark. New partitions inherit it.
-- The cost: one more index entry per event written.
create index if not exists events_project_type_ts_cover on events (tenant_id, project_id, event_type, ts)
  include (user_id, event_id);
