// Seeds one tenant's raw events straight into Postgres (generate_series, not through Kafka): the events table and
// the dedupe table, as the aggregate path would have left them, for the metrics-read and rebuild rows.
import type { Sql } from '../../adapters/postgres/client';
import type { PartitionManager } from '../../adapters/postgres/partitions';
import { COUNTRIES, PATHS, PLANS } from './events';

/** The event types of events.ts's sample events, in the same proportions (half page_view). */
export const SEED_TYPES = ['page_view', 'page_view', 'page_view', 'signup', 'checkout_started', 'checkout_failed'];

const CHUNK = 500_000;

/**
 * `count` events evenly over [fromMs, toMs): event i (1-based) at fromMs + (i-1)·step, its type, user (of 90 000),
 * session and properties (path, country, plan, experiment, numeric `amount` and `items`) derived from i like
 * events.ts's sample events, plus `sku` (1 000 values, sku_000–sku_999, evenly over every type and minute) for the
 * breakdown row. Chunks of 500 000 rows, two statements at a time. Returns seconds taken.
 */
export async function seedRawEvents(
  sql: Sql,
  partitions: PartitionManager,
  o: {
    tenantId: string;
    projectId: string;
    count: number;
    fromMs: number;
    toMs: number;
    progress: (done: number) => void;
  },
): Promise<number> {
  const t0 = performance.now();
  const days: number[] = [];
  for (let d = o.fromMs; d < o.toMs + 86_400_000; d += 86_400_000) days.push(Math.min(d, o.toMs - 1));
  await partitions.ensureFor(days);
  const step = (o.toMs - o.fromMs) / o.count;
  await inChunks(1, o.count, CHUNK, o.progress, async (lo, hi) => {
    await sql`
        with g as (
          select g, to_timestamp((${o.fromMs}::float8 + (g - 1) * ${step}::float8) / 1000.0) as ts
          from generate_series(${lo}::bigint, ${hi}::bigint) as g
        ), ins as (
          insert into events (tenant_id, project_id, event_id, event_type, ts, received_at, user_id, session_id, properties)
          select ${o.tenantId}::uuid, ${o.projectId}::uuid, 'seed-' || g, (${sql.array(SEED_TYPES)}::text[])[1 + (g * 7) % 6], ts, ts,
                 'user_' || (100000 + (g * 7919) % 90000)::text, 's_' || to_hex((g * 104729) % 1000000),
                 jsonb_build_object(
                   'path', (${sql.array(PATHS)}::text[])[1 + (g * 7 + 1) % 6],
                   'country', (${sql.array(COUNTRIES)}::text[])[1 + (g * 7 + 4) % 6],
                   'plan', (${sql.array(PLANS)}::text[])[1 + (g * 7 + 5) % 4],
                   'amount', round(((g * 37) % 20000 + 99) / 100.0, 2),
                   'items', g % 5 + 1,
                   'experiment', 'checkout_v2',
                   'sku', 'sku_' || lpad(((g * 31) % 1000)::text, 3, '0'))
          from g
          returning event_id, ts
        )
        insert into event_ids (tenant_id, event_id, event_ts)
        select ${o.tenantId}::uuid, event_id, ts from ins`;
  });
  await sql`analyze events`;
  await sql`analyze event_ids`;
  return (performance.now() - t0) / 1000;
}

/**
 * Calls `insert(lo, hi)` for the chunks of `size` ids covering [first, last], two at a time (both of the machine's
 * cores busy in Postgres), and `progress` with the ids done after each chunk.
 */
export async function inChunks(
  first: number,
  last: number,
  size: number,
  progress: (done: number) => void,
  insert: (lo: number, hi: number) => Promise<void>,
): Promise<void> {
  const chunks: [number, number][] = [];
  for (let lo = first; lo <= last; lo += size) chunks.push([lo, Math.min(last, lo + size - 1)]);
  let done = 0;
  const worker = async () => {
    for (let c = chunks.shift(); c; c = chunks.shift()) {
      await insert(c[0], c[1]);
      done += c[1] - c[0] + 1;
      progress(done);
    }
  };
  await Promise.all([worker(), worker()]);
}

export interface DiskUse {
  database: number;
  tables: { name: string; bytes: number }[];
}

/** pg_database_size and the total size (heap + indexes + TOAST) of the tables that grow with events (and dimensions). */
export async function diskUse(sql: Sql): Promise<DiskUse> {
  const [db] = await sql<{ n: string }[]>`select pg_database_size(current_database())::text as n`;
  const rows = await sql<{ name: string; n: string }[]>`
    select name, greatest(pg_total_relation_size(name::regclass),
                          (select coalesce(sum(pg_total_relation_size(t.relid)), 0) from pg_partition_tree(name::regclass) t))::text as n
    from unnest(array['events', 'event_ids', 'rollups', 'rollup_sketches', 'dimension_cells', 'dimension_values']) as name`;
  return { database: Number(db!.n), tables: rows.map((r) => ({ name: r.name, bytes: Number(r.n) })) };
}
