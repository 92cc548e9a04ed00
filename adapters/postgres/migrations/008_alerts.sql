-- Alert rules, their state machine, the history of transitions, and the notification outbox (docs/architecture.md#rule-8-alerts-read-the-truth-once-it-is-written).
-- A transition and its notifications are written in one transaction; the dispatcher delivers each notification at
-- least once with its id as the stable delivery id.

create table alert_rules (
  tenant_id   uuid not null references tenants (id) on delete cascade,
  id          uuid not null,
  project_id  uuid,                      -- null: every project of the tenant
  name        text not null check (length(name) between 1 and 200),
  -- the whole rule as the API takes it (secrets included; never returned by the API)
  spec        jsonb not null,
  enabled     boolean not null,
  -- event types whose metric_updates notices wake the rule (event_type, or numerator and denominator)
  event_types text[] collate "C" not null,
  -- rules the scheduled tick must look at while ok (absence rules, anomaly rules, ...)
  ticks_when_ok boolean not null,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, project_id) references projects (tenant_id, id) on delete cascade
);
create index alert_rules_event_types on alert_rules using gin (event_types) where enabled;

create table alert_states (
  tenant_id              uuid not null,
  rule_id                uuid not null,
  state                  text not null check (state in ('ok', 'pending', 'firing', 'no_data', 'error')),
  since                  timestamptz not null,
  pending_since          timestamptz,
  clear_since            timestamptz,
  last_fired_notified_at timestamptz,
  value                  double precision,
  error                  text,
  evaluated_at           timestamptz not null,
  primary key (tenant_id, rule_id),
  foreign key (tenant_id, rule_id) references alert_rules (tenant_id, id) on delete cascade
);
create index alert_states_not_ok on alert_states (state) where state <> 'ok';

create table alert_history (
  tenant_id    uuid not null,
  id           uuid not null,
  seq          bigint generated always as identity,  -- the order transitions were written in
  rule_id      uuid not null,
  rule_name    text not null,
  from_state   text not null,
  to_state     text not null,
  value        double precision,
  threshold    double precision,
  window_ms    bigint not null,
  at           timestamptz not null,
  -- 'firing', 'resolved' or null (no notification; silenced: a firing inside the cooldown)
  notification text,
  silenced     boolean not null default false,
  error        text,
  primary key (tenant_id, id)
);
create index alert_history_tenant on alert_history (tenant_id, seq);
create index alert_history_rule on alert_history (tenant_id, rule_id, seq);

create table notifications (
  tenant_id       uuid not null,
  id              uuid not null,           -- the X-CustomerSignal-Delivery id, the same on every attempt
  rule_id         uuid not null,
  history_id      uuid not null,
  channel         jsonb not null,          -- snapshot of the channel (webhook url + secret, or email recipients)
  payload         jsonb not null,
  status          text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts        int not null default 0,
  next_attempt_at timestamptz not null,
  last_error      text,
  created_at      timestamptz not null default now(),
  delivered_at    timestamptz,
  primary key (tenant_id, id)
);
create index notifications_due on notifications (next_attempt_at) where status = 'pending';
create index notifications_history on notifications (tenant_id, history_id);

create table delivery_attempts (
  tenant_id       uuid not null,
  notification_id uuid not null,
  attempt         int not null,
  started_at      timestamptz not null,
  duration_ms     int not null,
  outcome         text not null check (outcome in ('delivered', 'failed')),
  status_code     int,
  error           text,
  primary key (tenant_id, notification_id, attempt),
  foreign key (tenant_id, notification_id) references notifications (tenant_id, id) on delete cascade
);
