-- Per-segment alerts (multi-alerts): a rule with "group_by": "<path>" runs one state machine per value of the property
-- (docs/api.md#alert-rules-and-alerts, docs/architecture.md#rule-8-alerts-read-the-truth-once-it-is-written).
-- The rule's own alert_states row stays: it is the lock every evaluation of the rule takes first (so the group rows
-- are written by one evaluation at a time), and it holds the summary the tick selects by (the worst group state).
-- Group rows, their history entries and their outbox rows are written in that same transaction.

create table alert_group_states (
  tenant_id              uuid not null,
  rule_id                uuid not null,
  -- the property's text (properties #>> path), at most 200 characters (longer values are not grouped)
  group_key              text collate "C" not null,
  state                  text not null check (state in ('ok', 'pending', 'firing', 'no_data', 'error')),
  since                  timestamptz not null,
  pending_since          timestamptz,
  clear_since            timestamptz,
  last_fired_notified_at timestamptz,
  value                  double precision,
  error                  text,
  evaluated_at           timestamptz not null,
  primary key (tenant_id, rule_id, group_key),
  foreign key (tenant_id, rule_id) references alert_rules (tenant_id, id) on delete cascade
);

-- How many groups seen in the rule's window were left out at its last evaluation (the cap); null: no group_by.
alter table alert_states add column groups_truncated int;

-- The group a transition belongs to (null: a rule without group_by), and the rule's group_by path at the time.
alter table alert_history add column group_by text;
alter table alert_history add column group_key text;
create index alert_history_rule_group on alert_history (tenant_id, rule_id, group_key, seq) where group_key is not null;
