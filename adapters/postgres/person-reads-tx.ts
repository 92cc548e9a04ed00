// The transaction funnels and retention read in (adapters/postgres/funnel-reads.ts, retention-reads.ts): read only,
// one snapshot, and three settings measured on the 10 M-event analytics benchmark (docs/benchmarks.md):
// - plan_cache_mode = force_custom_plan: postgres.js prepares statements, and from a statement's sixth run Postgres
//   may switch to its generic plan, which planned the retention grid 3× slower (0.7 s → 2.0 s at 1 M events);
// - jit = off: JIT compiled the plan's expressions once per daily partition scanned, seconds for a read that needs
//   none of it;
// - work_mem = 64MB: the sort of a small range stays in memory, a large one merges runs on disk (at 10 M events,
//   200–256 MB made the funnel read 25 % slower, not faster).
import type { Sql } from './client';

export async function personReadTx<T>(sql: Sql, read: (tx: Sql) => Promise<T>): Promise<T> {
  return (await sql.begin('read only', async (tx) => {
    await tx`
      set local plan_cache_mode = force_custom_plan;
      set local jit = off;
      set local work_mem = '64MB'`.simple();
    return read(tx as unknown as Sql);
  })) as T;
}
