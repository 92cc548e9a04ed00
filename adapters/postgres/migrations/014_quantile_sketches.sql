-- Percentile sketches of numeric properties (p50/p90/p95/p99): one mergeable sketch per (project, event type,
-- property path, interval, bucket), the truth for percentiles as rollups are for counts and sums
-- (docs/architecture.md#rule-4-postgres-is-the-truth-redis-is-the-speed). The sketch is core/quantile-sketch.ts's:
-- logarithmic bins of ratio 2^(1/35) computed from the bits of the value, so a quantile is within 0.99 % of the
-- exact one; `bins` (strictly increasing) and `counts` (positive) are parallel arrays, at most 2 048 long.
--
-- Merging adds counts bin by bin, then folds the bins below the 2 048 highest into the lowest kept one
-- (quantile_merge); that is exact, associative and commutative, so a sketch is the same whatever order or
-- partition its values were merged in. Like sums, a merge counts what it is given: the aggregate step merges only
-- events new after dedupe (docs/architecture.md#rule-2-at-least-once-in-exactly-once-effect).
--
-- One row per bucket with arrays, not one row per (bucket, bin): a day of 1-minute buckets of ~300 bins each is
-- 1 440 rows and 3.2 MB this way, 430 000 rows and 99 MB that way; reading it back took ~0.4 s against ~3 s, and a
-- batch of 500 values upserts 5 rows (one per interval, ~8 ms) instead of ~1 050 (~30-70 ms). Measured on the shared
-- 2-core development machine under load (scripts/bench/quantile.ts --postgres reproduces the array side).
create table quantile_sketches (
  tenant_id    uuid not null,
  project_id   uuid not null,
  event_type   text collate "C" not null,
  path         text collate "C" not null,   -- the property path as the metric names it (p50:<path>)
  interval     text collate "C" not null,
  bucket_start timestamptz not null,
  n            bigint not null,             -- number of values, the sum of counts
  min_value    float8,                      -- exact extremes (null when n = 0): p0 and p100 are exact
  max_value    float8,
  bins         int[] not null,
  counts       bigint[] not null,
  version      bigint not null,             -- rollup_next_version (migration 006): the Redis guard
  updated_at   timestamptz not null default now(),
  primary key (tenant_id, project_id, event_type, path, interval, bucket_start),
  check (cardinality(bins) = cardinality(counts) and cardinality(bins) <= 2048),
  check ((n = 0) = (min_value is null) and (min_value is null) = (max_value is null))
);
-- Reads over several projects of a type and path; rebuild and retention by (tenant, interval, bucket), as for rollups.
create index quantile_sketches_tenant_type on quantile_sketches (tenant_id, event_type, path, interval, bucket_start);
create index quantile_sketches_tenant_interval_bucket on quantile_sketches (tenant_id, interval, bucket_start);

-- core/quantile-sketch.ts MANTISSA_BOUNDS: the lower bounds of the 35 bins of an octave as 52-bit mantissas.
create function quantile_mantissa_bounds() returns bigint[]
  language sql immutable parallel safe
  as $$ select '{0,90079240736122,181960211262407,275678949074399,371272212475554,468777494994557,568233040091009,
    669677856155253,773151731808218,878695251507292,986349811464326,1096157635882032,1208161793515132,1322406214562759,
    1438935707898732,1557795978646462,1679033646105386,1802696262035960,1928832329310381,2057491320936351,
    2188723699461350,2322580936765020,2459115534247440,2598381043421183,2740432086915264,2885324379899187,
    3033114751935516,3183861169269530,3337622757564704,3494459825092942,3654433886388644,3817607686375907,
    3984045224978288,4153811782220820,4326973943834098}'::bigint[] $$;

-- core/quantile-sketch.ts sketchKey: sign(v) · (40 000 + 35·E + j) from the IEEE-754 bits of |v| (a subnormal first
-- scaled by 2^64, exactly), 0 for ±0. NaN and ±Infinity raise 22003 (ingest refuses them; a record's own fault).
-- A raw event's JSON number read as (properties -> k)::float8 is the double JSON.parse gives (both round correctly),
-- so sketches rebuilt in SQL equal the ones written live. About 3 µs per value (plpgsql; the hex round trip of
-- float8send is the fastest exact way to the bits that SQL offers).
create function quantile_bin(v float8) returns int
  language plpgsql immutable strict parallel safe
  as $$
declare
  a float8 := abs(v);
  shift int := 0;
  bits bigint;
begin
  if v = 0 then
    return 0;
  end if;
  if a = 'NaN'::float8 or a = 'Infinity'::float8 then
    raise exception 'a quantile sketch takes finite numbers only' using errcode = '22003';
  end if;
  if a < 2.2250738585072014e-308::float8 then
    a := a * 18446744073709551616::float8;
    shift := 64;
  end if;
  bits := ('x' || encode(float8send(a), 'hex'))::bit(64)::bigint;
  return sign(v)::int * (40000 + 35 * ((bits >> 52)::int - 1023 - shift)
    + width_bucket(bits & 4503599627370495, quantile_mantissa_bounds()) - 1);
end
$$;

-- core/quantile-sketch.ts collapse: keeps the 2 048 highest bins of sorted, distinct bins, folding the counts of every
-- lower bin into the lowest kept one. Also for sketches built in SQL (rebuild: group by bin, array_agg in bin order).
create function quantile_collapse(in_bins int[], in_counts bigint[], out bins int[], out counts bigint[])
  language plpgsql immutable strict parallel safe
  as $$
declare
  extra int := cardinality(in_bins) - 2048;
begin
  bins := in_bins;
  counts := in_counts;
  if extra > 0 then
    counts[extra + 1] := (select sum(c) from unnest(counts[1:extra + 1]) as c);
    bins := bins[extra + 1:];
    counts := counts[extra + 1:];
  end if;
end
$$;

-- core/quantile-sketch.ts mergeSketches on the bins of two sketches (each sorted, distinct): one pass adding the
-- counts of equal bins, then quantile_collapse. Used by the upsert of a bucket (on conflict).
create function quantile_merge(bins1 int[], counts1 bigint[], bins2 int[], counts2 bigint[], out bins int[], out counts bigint[])
  language plpgsql immutable strict parallel safe
  as $$
declare
  i int := 1;
  j int := 1;
  n1 int := cardinality(bins1);
  n2 int := cardinality(bins2);
begin
  bins := '{}';
  counts := '{}';
  while i <= n1 or j <= n2 loop
    if j > n2 or (i <= n1 and bins1[i] < bins2[j]) then
      bins := bins || bins1[i];
      counts := counts || counts1[i];
      i := i + 1;
    elsif i > n1 or bins2[j] < bins1[i] then
      bins := bins || bins2[j];
      counts := counts || counts2[j];
      j := j + 1;
    else
      bins := bins || bins1[i];
      counts := counts || (counts1[i] + counts2[j]);
      i := i + 1;
      j := j + 1;
    end if;
  end loop;
  select c.bins, c.counts into bins, counts from quantile_collapse(bins, counts) as c;
end
$$;
