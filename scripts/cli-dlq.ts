// `customersignal dlq list|redrive`: what the aggregate handler dead-lettered (docs/architecture.md#rule-3-offsets-move-only-after-the-effect), and
// sending it back to events_raw. Rule 2 makes a redriven event count once, however often it is sent.
import type { Command } from 'commander';
import { config } from '../adapters/config';
import type { Sql } from '../adapters/postgres/client';
import { createKafka } from '../adapters/kafka/client';
import { openOffsetProducer, partitionRanges, readFromStart, UnknownTopicError, type TopicRecord } from '../adapters/kafka/dlq';
import { findRedrives, recordRedrives, tenantSlugs, type Redrive } from '../adapters/postgres/dead-letters';
import { formatDlqId, parseDlqId, readDeadLetter, redriveHeaders } from '../core/dead-letter';
import { CliError } from './admin';
import { progress } from './progress';

type Output = { json: boolean };

export interface CliContext {
  out(): Output;
  print(out: Output, data: unknown, text: string): void;
  withSql<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  table(rows: string[][]): string;
}

/** Records produced per request when redriving. */
const CHUNK = 500;

export interface DlqEntry {
  id: string;
  partition: number;
  offset: number;
  /** When the record was dead-lettered (the DLQ record's timestamp). */
  at: string;
  reason: string | null;
  error: string | null;
  attempts: number | null;
  origin: { topic: string; partition: number; offset: number } | null;
  tenant_id: string | null;
  tenant: string | null;
  key: string | null;
  redriven: { at: string; topic: string; partition: number; offset: number } | null;
}

function entryOf(r: TopicRecord): Omit<DlqEntry, 'tenant' | 'redriven'> {
  const info = readDeadLetter(r.headers);
  return {
    id: formatDlqId(r.partition, r.offset),
    partition: r.partition,
    offset: r.offset,
    at: new Date(r.timestampMs).toISOString(),
    reason: info.reason,
    error: info.error,
    attempts: info.attempts,
    origin: info.origin,
    tenant_id: info.tenantId,
    key: r.key && r.key.length > 0 ? r.key.toString('utf8') : null,
  };
}

/** The topic's partitions, or one clear line when it does not exist. */
async function rangesOf(kafka: ReturnType<typeof createKafka>, topic: string) {
  try {
    return await partitionRanges(kafka, topic);
  } catch (e) {
    if (e instanceof UnknownTopicError) throw new CliError(`${e.message}; create it with: customersignal topics`);
    throw e;
  }
}

function parseLimit(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new CliError(`--limit must be a whole number from 1 to 1000000; got "${v}"`);
  return n;
}

export function registerDlqCommands(program: Command, cli: CliContext): void {
  const dlq = program.command('dlq').description('records the aggregate handler dead-lettered');

  dlq
    .command('list')
    .description('list dead-lettered records, oldest first (reads the DLQ topic from its start)')
    .option('--limit <n>', 'at most this many entries', '100')
    .action(async (o: { limit: string }) => {
      const limit = parseLimit(o.limit);
      const cfg = config();
      const topic = cfg.kafka.topics.eventsDlq;
      const kafka = createKafka(cfg.kafka);
      const total = (await rangesOf(kafka, topic)).reduce((n, r) => n + (r.high - r.low), 0);
      const found: Omit<DlqEntry, 'tenant' | 'redriven'>[] = [];
      // Values are not kept: a listing holds only what it shows.
      await readFromStart(kafka, topic, async (records) => void found.push(...records.map(entryOf)), { maxPerPartition: limit });
      const shown = found.sort((a, b) => a.partition - b.partition || a.offset - b.offset).slice(0, limit);
      const entries = await cli.withSql(async (sql) => {
        const redrives = await findRedrives(sql, topic, shown);
        const slugs = await tenantSlugs(sql, shown.flatMap((e) => (e.tenant_id ? [e.tenant_id] : [])));
        return shown.map((e): DlqEntry => {
          const r = redrives.get(e.id);
          return {
            ...e,
            tenant: e.tenant_id ? slugs.get(e.tenant_id) ?? null : null,
            redriven: r ? { at: r.redrivenAt.toISOString(), ...r.target } : null,
          };
        });
      });
      const rows = entries.map((e) => [
        e.id,
        e.at,
        e.origin ? `${e.origin.topic}/${e.origin.partition}@${e.origin.offset}` : '-',
        e.tenant ?? e.tenant_id ?? '-',
        String(e.attempts ?? '-'),
        e.redriven ? `redriven ${e.redriven.at}` : 'pending',
        `${e.reason ?? '-'}${e.error && e.error !== e.reason ? `: ${e.error}` : ''}`,
      ]);
      const text = entries.length === 0
        ? `${topic} is empty`
        : `${cli.table([['ID', 'DEAD-LETTERED', 'ORIGIN', 'TENANT', 'ATTEMPTS', 'STATUS', 'ERROR'], ...rows])}\n${entries.length} of ${total} entries in ${topic}`;
      cli.print(cli.out(), entries, text);
    });

  dlq
    .command('redrive')
    .description('send dead-lettered records back to the raw topic with their original key and headers')
    .option('--id <id...>', 'entries to redrive, as dlq list shows them (<partition>:<offset>); default: every entry not yet redriven')
    .action(async (o: { id?: string[] }) => {
      const cfg = config();
      const dlqTopic = cfg.kafka.topics.eventsDlq;
      const rawTopic = cfg.kafka.topics.eventsRaw;
      const kafka = createKafka(cfg.kafka);
      const ranges = await rangesOf(kafka, dlqTopic);
      const wanted = o.id ? selectIds(o.id, ranges, dlqTopic) : undefined;
      const total = wanted ? wanted.size : ranges.reduce((n, r) => n + (r.high - r.low), 0);
      // With --id, read each partition only as far as the highest id asked for.
      const maxPerPartition = wanted ? Math.max(...[...wanted.values()].map((p) => p.offset - (ranges.find((r) => r.partition === p.partition)?.low ?? 0) + 1)) : undefined;

      const redriven: { id: string; origin: DlqEntry['origin']; tenant_id: string | null; target: { topic: string; partition: number; offset: number } }[] = [];
      const skipped: { id: string; reason: 'already_redriven'; redriven_at: string }[] = [];
      const bar = progress('dlq redrive', total);
      const producer = total > 0 ? await openOffsetProducer(kafka, rawTopic) : undefined;
      try {
        await cli.withSql(async (sql) => {
          await readFromStart(
            kafka,
            dlqTopic,
            async (records) => {
              const selected = wanted ? records.filter((r) => wanted.has(formatDlqId(r.partition, r.offset))) : records;
              const done = await findRedrives(sql, dlqTopic, selected);
              const todo: TopicRecord[] = [];
              for (const r of selected) {
                const before = done.get(formatDlqId(r.partition, r.offset));
                if (before) skipped.push({ id: formatDlqId(r.partition, r.offset), reason: 'already_redriven', redriven_at: before.redrivenAt.toISOString() });
                else todo.push(r);
              }
              for (let i = 0; i < todo.length; i += CHUNK) {
                const chunk = todo.slice(i, i + CHUNK);
                // Sent first, recorded second: a crash in between sends these again next time, and rule 2
                // counts each event once anyway. The other order could lose them.
                const offsets = await producer!.send(
                  chunk.map((r) => ({ key: r.key, value: r.value, headers: redriveHeaders(r.headers, { topic: dlqTopic, partition: r.partition, offset: r.offset }) })),
                );
                const rows: Redrive[] = chunk.map((r, j) => ({
                  dlq: { topic: dlqTopic, partition: r.partition, offset: r.offset },
                  tenantId: readDeadLetter(r.headers).tenantId,
                  target: { topic: rawTopic, ...offsets[j]! },
                }));
                await recordRedrives(sql, rows);
                for (const [j, r] of chunk.entries()) {
                  const info = readDeadLetter(r.headers);
                  redriven.push({ id: formatDlqId(r.partition, r.offset), origin: info.origin, tenant_id: info.tenantId, target: rows[j]!.target });
                }
              }
              bar.advance(selected.length);
            },
            { maxPerPartition },
          );
        });
      } finally {
        bar.done();
        await producer?.close();
      }
      const text = [
        redriven.length === 0 ? 'nothing to redrive' : `sent ${redriven.length} record(s) back to ${rawTopic}`,
        ...redriven.map((r) => `  ${r.id} -> ${r.target.topic}/${r.target.partition}@${r.target.offset}`),
        ...(skipped.length > 0 ? [`skipped ${skipped.length} already redriven: ${skipped.slice(0, 10).map((s) => s.id).join(', ')}${skipped.length > 10 ? ', …' : ''}`] : []),
      ].join('\n');
      cli.print(cli.out(), { redriven, skipped }, text);
    });
}

/** Parses and checks --id values against what the DLQ holds, before anything is sent. */
function selectIds(ids: string[], ranges: { partition: number; low: number; high: number }[], topic: string): Map<string, { partition: number; offset: number }> {
  const selected = new Map<string, { partition: number; offset: number }>();
  for (const raw of ids.flatMap((v) => v.split(',')).filter((v) => v.trim() !== '')) {
    const id = parseDlqId(raw);
    if (!id) throw new CliError(`--id must be <partition>:<offset> as dlq list shows it; got "${raw}"`);
    const range = ranges.find((r) => r.partition === id.partition);
    if (!range || id.offset < range.low || id.offset >= range.high) {
      throw new CliError(`${formatDlqId(id.partition, id.offset)} is not in ${topic}; see: customersignal dlq list`);
    }
    selected.set(formatDlqId(id.partition, id.offset), id);
  }
  if (selected.size === 0) throw new CliError('--id needs at least one <partition>:<offset>');
  return selected;
}
