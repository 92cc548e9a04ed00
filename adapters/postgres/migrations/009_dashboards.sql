-- Config-driven dashboards (docs/api.md#dashboards): the web UI renders only what these rows say.
create table dashboards (
  tenant_id  uuid not null references tenants (id) on delete cascade,
  id         uuid not null,
  name       text not null check (length(name) between 1 and 200),
  widgets    jsonb not null,
  is_default boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id)
);
-- One default dashboard per tenant (created on the first GET when the tenant has none).
create unique index dashboards_one_default on dashboards (tenant_id) where is_default;
