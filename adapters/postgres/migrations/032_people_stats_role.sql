-- The people rebuild (adapters/postgres/people-store.ts rebuildPeople) runs ANALYZE on distinct_ids after writing a
-- tenant's rows: on a never-analyzed table its next statement's plan ran for minutes instead of seconds. ANALYZE needs
-- the table's owner, and on AWS the functions sign in as customersignal_app (migration 013), which is not; Postgres
-- then skips it with a warning. So distinct_ids goes to a NOLOGIN role of its own, customersignal_statistics, with the
-- app role as its member (as `events` belongs to customersignal_partitions).
--
-- What the membership adds beyond row access: the owner's rights on this one table (ANALYZE, and also ALTER, DROP
-- and TRUNCATE of distinct_ids). It holds derived data only — every row is rebuilt from the raw events by
-- rebuildPeople — so that is the narrowest grant that lets the rebuild keep its statistics current.
--
-- Roles are cluster-wide: several databases on one server (tests) create them concurrently, hence the guarded blocks.
do $$
begin
  begin
    create role customersignal_statistics nologin;
  exception when duplicate_object or unique_violation then null;
  end;
  begin
    grant customersignal_statistics to customersignal_app;
  exception when duplicate_object or unique_violation then null;
  end;
  -- The migrating user (RDS master, not a superuser) must be a member to hand the table over.
  begin
    execute format('grant customersignal_statistics to %I', current_user);
  exception when duplicate_object or unique_violation or invalid_grant_operation then null;
  end;
end
$$;

alter table distinct_ids owner to customersignal_statistics;
