// `customersignal replay`: re-reads a range of events_raw (docs/architecture.md#rule-7-replay-and-rebuild-are-different-tools) and hands it, in MSK event shape,
// to the aggregate handler itself. Rule 2 makes that idempotent: what Postgres lacks is restored, nothing counts twice.
import type { Command } from 'commander';
import { config } from '../adapters/config';
import { createAdapters } from '../adapters';
import { UnknownTopicError } from '../adapters/kafka/dlq';
import { readRange, resolveRange, type Position, type RangeRecord } from '../adapters/kafka/range-reader';
import { toMskEvent } from '../core/msk-event';
import { createAggregateHandler } from '../functions/aggregate/handler';
import { RecordFailedError } from '../functions/aggregate/dead-letter';
import type { BatchOutcome } from '../functions/aggregate/process-batch';
import { CliError, tenantBySlug } from './admin';
import type { CliContext } from './cli-dlq';
import { progress } from './progress';

/** Records handed to the aggregate handler at once. */
const BATCH = 500;

export interface ReplaySummary {
  topic: string;
  from: string;
  to: string | null;
  tenant: string | null;
  partitions: { partition: number; start: number; end: number }[];
  /** Records in the range. */
  read: number;
  /** Records of the range handed to the handler (the --tenant filter). */
  matched: number;
  stored: number;
  duplicates: number;
  expired: number;
  dead_lettered: number;
}

export function parsePosition(flag: string, v: string): Position {
  if (/^\d+$/.test(v.trim())) return { offset: Number(v.trim()) };
  const ms = /^\d{4}-\d\d-\d\d/.test(v.trim()) ? Date.parse(v.trim()) : NaN;
  if (Number.isNaN(ms))
    throw new CliError(`${flag} must be an ISO time (2026-01-31T12:00:00Z) or an offset; got "${v}"`);
  return { time: ms };
}

export function registerReplayCommand(program: Command, cli: CliContext): void {
  program
    .command('replay')
    .description(
      're-read events_raw from a record time or offset and hand it to the aggregate handler again (idempotent)',
    )
    .requiredOption('--from <iso-time|offset>', 'record time, or the same offset on every partition')
    .option('--to <iso-time|offset>', 'where to stop (default: the end of each partition now)')
    .option('--tenant <slug>', 'only records of this tenant')
    .action(async (o: { from: string; to?: string; tenant?: string }) => {
      const from = parsePosition('--from', o.from);
      const to = o.to === undefined ? undefined : parsePosition('--to', o.to);
      const cfg = config();
      const topic = cfg.kafka.topics.eventsRaw;
      const tenantId =
        o.tenant === undefined ? undefined : (await cli.withSql((sql) => tenantBySlug(sql, o.tenant!))).id;
      const adapters = createAdapters(cfg);
      try {
        let ranges;
        try {
          ranges = await resolveRange(adapters.kafka, topic, from, to);
        } catch (e) {
          if (e instanceof UnknownTopicError) throw new CliError(`${e.message}; create it with: customersignal topics`);
          throw e;
        }
        const handler = createAggregateHandler(adapters);
        const total = ranges.reduce((n, r) => n + Math.max(0, r.end - r.start), 0);
        const summary: ReplaySummary = {
          topic,
          from: o.from,
          to: o.to ?? null,
          tenant: o.tenant ?? null,
          partitions: ranges.map((r) => ({ ...r })),
          read: 0,
          matched: 0,
          stored: 0,
          duplicates: 0,
          expired: 0,
          dead_lettered: 0,
        };
        const bar = progress('replay', total);
        try {
          await readRange(
            adapters.kafka,
            topic,
            ranges,
            async (records: RangeRecord[]) => {
              const matched =
                tenantId === undefined
                  ? records
                  : records.filter((r) => r.key !== null && r.key.toString('utf8') === tenantId);
              if (matched.length > 0) {
                const outcome = await handle(handler, matched, cfg.aggregateMaxRecordAttempts);
                summary.stored += outcome.stored;
                summary.duplicates += outcome.duplicates;
                summary.expired += outcome.expired;
                summary.dead_lettered += outcome.deadLettered;
              }
              summary.read += records.length;
              summary.matched += matched.length;
              bar.advance(records.length);
            },
            { batchSize: BATCH },
          );
        } finally {
          bar.done();
        }
        const text = `replayed ${topic}: read ${summary.read}, matched ${summary.matched}, stored ${summary.stored} new, ${summary.duplicates} duplicates, ${summary.expired} expired, ${summary.dead_lettered} dead-lettered`;
        cli.print(cli.out(), summary, text);
      } finally {
        await adapters.close();
      }
    });
}

/** As the event source does: a batch whose failing record still has attempts left is handed over again. */
async function handle(
  handler: ReturnType<typeof createAggregateHandler>,
  records: RangeRecord[],
  maxAttempts: number,
): Promise<BatchOutcome> {
  const event = toMskEvent(records);
  for (let attempt = 1; ; attempt++) {
    try {
      return await handler(event);
    } catch (e) {
      if (!(e instanceof RecordFailedError) || attempt > maxAttempts) throw e;
    }
  }
}
