-- Segment's context (device, app, library, campaign…) beside the properties of a raw event: its own column with its
-- own size cap at ingest (MAX_CONTEXT_BYTES), not part of the properties' limits, metrics or catalog. Null for events
-- without one (POST /v1/events, every event stored before). Adding a nullable column rewrites no partition.
alter table events add column if not exists context jsonb;
