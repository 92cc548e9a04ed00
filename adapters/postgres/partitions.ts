// Daily partitions of the raw events table, created ahead of need.
import { isUniqueViolation, type Sql } from './client';

const DAY_MS = 86_400_000;

export function partitionName(dayStartMs: number): string {
  return 'events_' + new Date(dayStartMs).toISOString().slice(0, 10).replace(/-/g, '');
}

export function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Creates the daily partitions covering the given times; remembers what exists to stay off the hot path. */
export function createPartitionManager(sql: Sql) {
  const known = new Set<number>();
  async function ensureDay(day: number): Promise<void> {
    const name = partitionName(day);
    const from = new Date(day).toISOString();
    const to = new Date(day + DAY_MS).toISOString();
    try {
      // Identifiers and bounds come from our own date formatting, never from input.
      await sql.unsafe(
        `create table if not exists ${name} partition of events for values from ('${from}') to ('${to}')`,
      );
    } catch (e) {
      // created concurrently by another consumer (duplicate table, or its catalog row)
      if ((e as { code?: string }).code !== '42P07' && !isUniqueViolation(e)) throw e;
    }
    known.add(day);
  }
  return {
    async ensureFor(timestampsMs: Iterable<number>): Promise<void> {
      const days = new Set<number>();
      for (const t of timestampsMs) {
        const d = dayStart(t);
        if (!known.has(d)) days.add(d);
      }
      for (const d of [...days].sort((a, b) => a - b)) await ensureDay(d);
    },
    /** Creates today's partition and the next `daysAhead` ones. */
    async ensureAhead(nowMs: number, daysAhead: number): Promise<number> {
      const start = dayStart(nowMs);
      const days = Array.from({ length: daysAhead + 1 }, (_, i) => start + i * DAY_MS).filter((d) => !known.has(d));
      for (const d of days) await ensureDay(d);
      return days.length;
    },
  };
}
export type PartitionManager = ReturnType<typeof createPartitionManager>;
