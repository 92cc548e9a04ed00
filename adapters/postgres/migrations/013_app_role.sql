-- The functions' database role (least privilege). On AWS every function except the migrations signs in
-- as customersignal_app (its password is set by the migrations custom resource from its own secret,
-- functions/migrate/handler.ts); only the migrations use the master user. Locally nothing signs in as
-- it: the roles exist so that the same grants are exercised everywhere.
--
--   customersignal_app         LOGIN (password set on AWS only): reads and writes rows of every table,
--                               uses the sequences, runs the functions; no DDL, except through:
--   customersignal_partitions  NOLOGIN, owner of the partitioned table `events` and its partitions:
--                               creating a daily partition ahead (aggregate, maintenance) and dropping an
--                               expired one (retention) need ownership of the parent. The app role is
--                               a member, so it can do exactly that partition housekeeping.
--
-- Roles are cluster-wide: several databases on one server (tests) create them concurrently, hence the
-- guarded blocks.
do $$
begin
  begin
    create role customersignal_app login;
  exception when duplicate_object or unique_violation then null;
  end;
  begin
    create role customersignal_partitions nologin;
  exception when duplicate_object or unique_violation then null;
  end;
  begin
    grant customersignal_partitions to customersignal_app;
  exception when duplicate_object or unique_violation then null;
  end;
  -- The migrating user (RDS master, not a superuser) must be a member to hand `events` over.
  begin
    execute format('grant customersignal_partitions to %I', current_user);
  exception when duplicate_object or unique_violation or invalid_grant_operation then null;
  end;
end
$$;

grant usage on schema public to customersignal_app;
-- Partitions are created in public by their owner role.
grant usage, create on schema public to customersignal_partitions;

grant select, insert, update, delete on all tables in schema public to customersignal_app;
grant usage, select, update on all sequences in schema public to customersignal_app;
grant execute on all functions in schema public to customersignal_app;
-- Tables, sequences and functions later migrations create (as the same migrating user) get the same grants.
alter default privileges in schema public grant select, insert, update, delete on tables to customersignal_app;
alter default privileges in schema public grant usage, select, update on sequences to customersignal_app;
alter default privileges in schema public grant execute on functions to customersignal_app;

-- The migrations' bookkeeping is theirs alone.
revoke all on schema_migrations from customersignal_app;

-- `events` and its existing partitions go to the partition role.
alter table events owner to customersignal_partitions;
do $$
declare
  part regclass;
begin
  for part in select inhrelid::regclass from pg_inherits where inhparent = 'events'::regclass loop
    execute format('alter table %s owner to customersignal_partitions', part);
  end loop;
end
$$;
