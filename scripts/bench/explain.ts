// Where a batch's time goes in Postgres: one writeBatch (the aggregate store's transaction) on its own connection
// with auto_explain (ANALYZE, BUFFERS) reporting every statement's plan as a notice. Needs a superuser (LOAD);
// used by `npm run bench -- pipeline --profile` after its measured windows.
import { writeFileSync } from 'node:fs';
import postgres from 'postgres';
import type { Sql } from '../../adapters/postgres/client';
import { writeBatch } from '../../adapters/postgres/aggregate-store';
import { planCountDeltas } from '../../core/rollups';
import type { RawEvent } from '../../core/raw-event';

export interface ExplainedStatement {
  ms: number;
  /** The statement's first words, whitespace collapsed. */
  statement: string;
}

/** Runs writeBatch(events) under auto_explain; writes the plans to `planFile`; the statements by time, slowest first. */
export async function explainWriteBatch(
  url: string,
  events: RawEvent[],
  planFile: string,
): Promise<{ statements: ExplainedStatement[]; totalMs: number }> {
  const notices: string[] = [];
  const one = postgres(url, { max: 1, onnotice: (n) => notices.push(String(n.message)) }) as unknown as Sql;
  try {
    await one`load 'auto_explain'`;
    for (const [k, v] of [
      ['auto_explain.log_min_duration', '0'],
      ['auto_explain.log_analyze', 'on'],
      ['auto_explain.log_buffers', 'on'],
      ['auto_explain.log_timing', 'on'],
      ['auto_explain.log_triggers', 'on'],
      ['auto_explain.log_level', 'notice'],
    ] as const)
      await one`select set_config(${k}, ${v}, false)`;
    notices.length = 0;
    const t0 = performance.now();
    await writeBatch(one, events, (fresh, bucketOf) => planCountDeltas(fresh, undefined, bucketOf));
    const totalMs = performance.now() - t0;
    writeFileSync(planFile, notices.join('\n\n----\n\n'));
    const statements = notices
      .map((text) => {
        const ms = Number(/duration: ([\d.]+) ms/.exec(text)?.[1] ?? NaN);
        const q = /Query Text: ([\s\S]*?)\n(?=\S)/.exec(text)?.[1] ?? text;
        return { ms, statement: q.replace(/\s+/g, ' ').trim().slice(0, 90) };
      })
      .sort((a, b) => b.ms - a.ms);
    return { statements, totalMs };
  } finally {
    await (one as unknown as postgres.Sql).end({ timeout: 5 });
  }
}
