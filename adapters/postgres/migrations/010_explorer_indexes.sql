-- The event explorer filters by user (GET /v1/events?user_id=): newest first within a tenant's user, so a page of
-- 50 reads about 50 index entries instead of scanning the tenant's events backwards until enough of them match.
-- Event-type filters use events_tenant_type_ts (scanned backwards, ties on ts sorted incrementally); the tenant's
-- newest events use the primary key (tenant_id, ts, event_id).
create index if not exists events_tenant_user_ts on events (tenant_id, user_id, ts) where user_id is not null;
