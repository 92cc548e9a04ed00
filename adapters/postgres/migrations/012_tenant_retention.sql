-- Per-tenant raw-event retention: null = the platform's RETENTION, which is also the most a tenant can have
-- (daily partitions are shared and dropped whole at RETENTION; a shorter tenant retention deletes that tenant's
-- older rows in chunks).
alter table tenants add column if not exists retention_days int check (retention_days between 1 and 3650);
