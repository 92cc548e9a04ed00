-- Declared-dimension storage, redesigned (docs/architecture.md#metrics-engine). Migration 015 kept
-- one dimension_rollups row per (tenant, project, event type, dimension, interval, bucket, value, metric), each
-- repeating the value's text and the five key columns, plus 10s rows and two indexes: ~3 KB per seeded event
-- (931 MB for 300 000 events of one 1 000-value dimension). Here:
--
-- * event_dimensions gets a numeric `id`, and every per-bucket row is keyed by it instead of (tenant, project,
--   event type, dimension): 8 bytes instead of ~60 in the heap and in both indexes.
-- * dimension_values: a value's text once per dimension (keyed by value_key = md5 of the text, as in 015), written
--   when a value is first kept in some bucket. Reads join it for the shown values only. Rows are not deleted with
--   expired buckets (a value kept once costs one row, far less than its bucket rows); they go with the dimension.
-- * dimension_cells: ONE row per (dimension, interval, bucket, kept value or '$other' / '$none') holding every
--   metric of it: `count` (bigint) and `nums`, a jsonb object {"<property>": [sum, n]} over the events' top-level
--   JSON-number properties (n = how many of the events had it as a number). jsonb because the numeric properties of
--   an event type are open-ended and differ between events (a fixed column per property is impossible, parallel
--   name/sum/n arrays would repeat the names anyway and need three aligned arrays merged in the same order); jsonb
--   numbers are Postgres numerics, so sums stay exact decimals; a row without numeric properties stores '{}' (5
--   bytes). dimension_nums_add merges two such objects (upserts, evictions into '$other', regroups).
-- * No 10s rows: a 10s bucket holds about one event per value (the benchmark seed: 150 000 10s rows for 150 000
--   events), so its dimension rows are about as many as the raw events they summarise, and a 10s breakdown (at
--   most the last 24 h) is answered from raw events (core/breakdown.ts breakdownSource), within the scan budget;
--   past it, the 400 says to use 1m.
--
-- Measured on that seed (one day, 300 000 events, half with the 1 000-value dimension): 325 000 rows, ~142 MB with
-- both indexes, against ~960 MB in the 015 layout.
--
-- Existing declarations keep their complete_from: their 1m-1d rows are moved into the new layout below (exact: the
-- same amounts regrouped per row), their 10s rows are dropped.
alter table event_dimensions add column id bigint generated always as identity;
alter table event_dimensions add constraint event_dimensions_id unique (id);
alter table dimension_rollups rename to dimension_rollups_015;
alter table dimension_buckets rename to dimension_buckets_015;
alter index dimension_buckets_pkey rename to dimension_buckets_015_pkey;

-- Kept values' texts: value_key is md5 of the text (hex), the K-cap rank.
create table dimension_values (
  dimension_id bigint not null references event_dimensions (id) on delete cascade,
  value_key    text collate "C" not null,
  value        text not null,
  primary key (dimension_id, value_key)
);

-- One row per (dimension, interval, bucket) that has data: writers lock it (upsert, in key order) before they read
-- and change the bucket's cells, so concurrent batches of one tenant (rollup lock shared) take turns per bucket and
-- the K cap holds (as in 015).
create table dimension_buckets (
  dimension_id bigint not null,
  interval     text collate "C" not null,
  bucket_start timestamptz not null,
  primary key (dimension_id, interval, bucket_start)
);

-- The breakdown of a bucket: per kept value (the K smallest value_key), '$other' (values past K) and '$none'
-- (events without the property), its count and its numeric properties' sums and counts.
create table dimension_cells (
  dimension_id bigint not null,
  interval     text collate "C" not null,
  bucket_start timestamptz not null,
  value_key    text collate "C" not null,
  count        bigint not null,
  nums         jsonb not null default '{}',
  -- `include (count)`: count breakdowns rank from this index alone (an index-only scan once vacuum has marked the
  -- pages all-visible), ~8 bytes more per row here and in the index below.
  primary key (dimension_id, interval, bucket_start, value_key) include (count)
);
-- Breakdown reads take the shown values' rows of a range: value first, so 10 values over 1 440 buckets visit their
-- rows only (as migration 019 did); with the count, a count breakdown reads its parts from the index alone.
create index dimension_cells_by_value on dimension_cells (dimension_id, interval, value_key, bucket_start) include (count);

-- {"p": [sum, n], ...} + {"p": [sum, n], ...}: per property, sums and counts added (exact numerics).
create function dimension_nums_add(a jsonb, b jsonb) returns jsonb
language sql immutable parallel safe as $$
  select case
    when a is null or a = '{}'::jsonb then coalesce(b, '{}'::jsonb)
    when b is null or b = '{}'::jsonb then a
    else (
      select jsonb_object_agg(k, jsonb_build_array(s, n))
      from (
        select k, sum((v ->> 0)::numeric) as s, sum((v ->> 1)::numeric) as n
        from (select * from jsonb_each(a) union all select * from jsonb_each(b)) as x(k, v)
        group by k
      ) y
    )
  end
$$;
create aggregate dimension_nums_sum(jsonb) (sfunc = dimension_nums_add, stype = jsonb, initcond = '{}');

-- The data of migration 015, moved.
insert into dimension_values (dimension_id, value_key, value)
select distinct on (d.id, r.value_key) d.id, r.value_key, r.value
from dimension_rollups_015 r join event_dimensions d using (tenant_id, project_id, event_type, dimension)
where r.interval <> '10s' and r.value_key <> '$none' and r.value_key <> '$other'
order by d.id, r.value_key;

insert into dimension_buckets (dimension_id, interval, bucket_start)
select d.id, b.interval, b.bucket_start
from dimension_buckets_015 b join event_dimensions d using (tenant_id, project_id, event_type, dimension)
where b.interval <> '10s'
order by 1, 2, 3;

insert into dimension_cells (dimension_id, interval, bucket_start, value_key, count, nums)
select c.id, c.interval, c.bucket_start, c.value_key, c.count, coalesce(n.nums, '{}')
from (
  select d.id, r.interval, r.bucket_start, r.value_key, sum(r.amount)::bigint as count
  from dimension_rollups_015 r join event_dimensions d using (tenant_id, project_id, event_type, dimension)
  where r.interval <> '10s' and r.metric = 'count'
  group by 1, 2, 3, 4
) c left join (
  select id, interval, bucket_start, value_key, jsonb_object_agg(prop, jsonb_build_array(s, n)) as nums
  from (
    select d.id, r.interval, r.bucket_start, r.value_key,
           case when r.metric like 'sum:%' then substr(r.metric, 5) else substr(r.metric, 3) end as prop,
           coalesce(sum(r.amount) filter (where r.metric like 'sum:%'), 0) as s,
           coalesce(sum(r.amount) filter (where r.metric like 'n:%'), 0) as n
    from dimension_rollups_015 r join event_dimensions d using (tenant_id, project_id, event_type, dimension)
    where r.interval <> '10s' and r.metric <> 'count'
    group by 1, 2, 3, 4, 5
  ) p
  group by 1, 2, 3, 4
) n using (id, interval, bucket_start, value_key)
order by 1, 2, 3, 4;

drop table dimension_rollups_015;
drop table dimension_buckets_015;
