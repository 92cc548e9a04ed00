-- The filters of GET /v1/audit-log (docs/api.md#audit-log): pages are newest first by (tenant_id, id) (the primary
-- key serves the unfiltered list); these serve the action (exact or a dotted prefix, compared in "C"), the actor and
-- the target, each still in id order so a filtered page reads only its own rows.
create index audit_log_action on audit_log (tenant_id, (action collate "C"), id);
create index audit_log_actor on audit_log (tenant_id, actor_kind, actor_id, id);
create index audit_log_target on audit_log (tenant_id, target, id) where target is not null;
