// `customersignal dlq list|redrive`: what the aggregate handler dead-lettered (docs/architecture.md#rule-3-offsets-move-only-after-the-effect), and
// sending it back to events_raw. Rule 2 makes a redriven event count once, however often it is sent.
import type { Command } from 'commander';
import { config } from '../adapters/config';
import type { Sql } from '../adapters/postgres/client';
import { createKafka } from '../adapters/kafka/client';
import {
  openOffsetProducer,
  partitionRanges,
  readFromStart,
  UnknownTopicError,
  type TopicRecord,
} from '../adapters/kafka/dlq';
import { findRedrives, recordRedrives, tenantSlugs, type Redrive } from '../adapters/postgres/dead-letters';
import { formatDlqId, parseDlqId, readDeadLetter, redriveHeaders } from '../core/dead-letter';
import { isUuid } from '../core/ids';
import { CliError, tenantBySlug } from './admin';
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

/** The tenant a dead-lettered record belongs to: its tenant header, else its key (records are keyed by tenant id). */
function tenantOf(r: Pick<TopicRecord, 'headers' | 'key'>): string | null {
  const fromHeader = readDeadLetter(r.headers).tenantId;
  if (fromHeader) return fromHeader;
  const key = r.key && r.key.length > 0 ? r.key.toString('utf8') : '';
  return isUuid(key) ? key.toLowerCase() : null;
}

/** `--tenant <slug|id>` as a tenant id; one clear line when no such tenant exists. */
async function resolveTenant(sql: Sql, v: string): Promise<{ id: string; slug: string }> {
  if (isUuid(v)) {
    const [t] = await sql<{ id: string; slug: string }[]>`select id, slug from tenants where id = ${v}::uuid`;
    if (!t) throw new CliError(`tenant ${v} does not exist; see: customersignal tenant list`);
    return t;
  }
  const t = await tenantBySlug(sql, v);
  return { id: t.id, slug: t.slug };
}

/** Asks on the terminal; anything but y/yes is a no. */
async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
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
    tenant_id: tenantOf(r),
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
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new CliError(`--limit must be a whole number from 1 to 1000000; got "${v}"`);
  return n;
}

export function registerDlqCommands(program: Command, cli: CliContext): void {
  const dlq = program.command('dlq').description('records the aggregate handler dead-lettered');

  dlq
    .command('list')
    .description('list dead-lettered records, oldest first (reads the DLQ topic from its start)')
    .option('--limit <n>', 'at most this many entries', '100')
    .option('--tenant <slug|id>', "only this tenant's entries")
    .action(async (o: { limit: string; tenant?: string }) => {
      const limit = parseLimit(o.limit);
      const cfg = config();
      const topic = cfg.kafka.topics.eventsDlq;
      const tenant = o.tenant === undefined ? undefined : await cli.withSql((sql) => resolveTenant(sql, o.tenant!));
      const kafka = createKafka(cfg.kafka);
      const total = (await rangesOf(kafka, topic)).reduce((n, r) => n + (r.high - r.low), 0);
      const found: Omit<DlqEntry, 'tenant' | 'redriven'>[] = [];
      // Values are not kept: a listing holds only what it shows. For one tenant the whole topic is read (its entries
      // may be anywhere), keeping only that tenant's.
      await readFromStart(
        kafka,
        topic,
        async (records) => void found.push(...records.map(entryOf).filter((e) => !tenant || e.tenant_id === tenant.id)),
        {
          maxPerPartition: tenant ? undefined : limit,
        },
      );
      const shown = found.sort((a, b) => a.partition - b.partition || a.offset - b.offset).slice(0, limit);
      const entries = await cli.withSql(async (sql) => {
        const redrives = await findRedrives(sql, topic, shown);
        const slugs = await tenantSlugs(
          sql,
          shown.flatMap((e) => (e.tenant_id ? [e.tenant_id] : [])),
        );
        return shown.map((e): DlqEntry => {
          const r = redrives.get(e.id);
          return {
            ...e,
            tenant: e.tenant_id ? (slugs.get(e.tenant_id) ?? null) : null,
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
      const of = tenant ? `${found.length} entries of tenant ${tenant.slug} (${total} in all)` : `${total} entries`;
      const text =
        entries.length === 0
          ? tenant
            ? `${topic} holds no entries of tenant ${tenant.slug}`
            : `${topic} is empty`
          : `${cli.table([['ID', 'DEAD-LETTERED', 'ORIGIN', 'TENANT', 'ATTEMPTS', 'STATUS', 'ERROR'], ...rows])}\n${entries.length} of ${of} in ${topic}`;
      cli.print(cli.out(), entries, text);
    });

  dlq
    .command('redrive')
    .description('send dead-lettered records back to the raw topic with their original key and headers')
    .option('--id <id...>', 'entries to redrive, as dlq list shows them (<partition>:<offset>)')
    .option('--tenant <slug|id>', 'every entry of this tenant not yet redriven (with --id: only those of this tenant)')
    .option('--all', "every tenant's entries not yet redriven (asks for confirmation)")
    .option('--yes', 'confirm --all without asking (needed when not on a terminal)')
    .option('--dry-run', 'show what would be redriven, send nothing')
    .action(async (o: { id?: string[]; tenant?: string; all?: boolean; yes?: boolean; dryRun?: boolean }) => {
      if (!o.id && o.tenant === undefined && !o.all) {
        throw new CliError(
          'dlq redrive needs a scope: --tenant <slug|id> (one tenant), --id <partition>:<offset> (entries from dlq list) or --all (every tenant, asks for confirmation); add --dry-run to see what would be sent',
        );
      }
      if (o.all && (o.tenant !== undefined || o.id))
        throw new CliError('--all redrives every tenant; leave out --tenant and --id, or leave out --all');
      const cfg = config();
      const dlqTopic = cfg.kafka.topics.eventsDlq;
      const rawTopic = cfg.kafka.topics.eventsRaw;
      const tenant = o.tenant === undefined ? undefined : await cli.withSql((sql) => resolveTenant(sql, o.tenant!));
      const kafka = createKafka(cfg.kafka);
      const ranges = await rangesOf(kafka, dlqTopic);
      const wanted = o.id ? selectIds(o.id, ranges, dlqTopic) : undefined;
      const dryRun = o.dryRun === true;
      if (o.all && !dryRun && !o.yes) {
        const inTopic = ranges.reduce((n, r) => n + (r.high - r.low), 0);
        if (!process.stdin.isTTY)
          throw new CliError(
            `--all redrives the entries of every tenant (${inTopic} in ${dlqTopic}); not on a terminal, confirm with --yes (or try --dry-run first)`,
          );
        if (!(await confirm(`Redrive every tenant's pending entries (${inTopic} in ${dlqTopic}) to ${rawTopic}?`)))
          throw new CliError('not confirmed; nothing was sent');
      }
      const total = wanted ? wanted.size : ranges.reduce((n, r) => n + (r.high - r.low), 0);
      // With --id, read each partition only as far as the highest id asked for.
      const maxPerPartition = wanted
        ? Math.max(
            ...[...wanted.values()].map(
              (p) => p.offset - (ranges.find((r) => r.partition === p.partition)?.low ?? 0) + 1,
            ),
          )
        : undefined;

      const redriven: {
        id: string;
        origin: DlqEntry['origin'];
        tenant_id: string | null;
        target: { topic: string; partition: number; offset: number };
      }[] = [];
      const wouldRedrive: { id: string; origin: DlqEntry['origin']; tenant_id: string | null }[] = [];
      const skipped: (
        | { id: string; reason: 'already_redriven'; redriven_at: string }
        | { id: string; reason: 'other_tenant'; tenant_id: string | null }
      )[] = [];
      const bar = progress(dryRun ? 'dlq redrive --dry-run' : 'dlq redrive', total);
      const producer = total > 0 && !dryRun ? await openOffsetProducer(kafka, rawTopic) : undefined;
      try {
        await cli.withSql(async (sql) => {
          await readFromStart(
            kafka,
            dlqTopic,
            async (records) => {
              const asked = wanted ? records.filter((r) => wanted.has(formatDlqId(r.partition, r.offset))) : records;
              const selected: TopicRecord[] = [];
              for (const r of asked) {
                const owner = tenantOf(r);
                if (!tenant || owner === tenant.id) selected.push(r);
                // Entries named by --id that belong elsewhere are reported; other tenants' entries are not.
                else if (wanted)
                  skipped.push({ id: formatDlqId(r.partition, r.offset), reason: 'other_tenant', tenant_id: owner });
              }
              const done = await findRedrives(sql, dlqTopic, selected);
              const todo: TopicRecord[] = [];
              for (const r of selected) {
                const before = done.get(formatDlqId(r.partition, r.offset));
                if (before)
                  skipped.push({
                    id: formatDlqId(r.partition, r.offset),
                    reason: 'already_redriven',
                    redriven_at: before.redrivenAt.toISOString(),
                  });
                else todo.push(r);
              }
              if (dryRun) {
                wouldRedrive.push(
                  ...todo.map((r) => ({
                    id: formatDlqId(r.partition, r.offset),
                    origin: readDeadLetter(r.headers).origin,
                    tenant_id: tenantOf(r),
                  })),
                );
                bar.advance(asked.length);
                return;
              }
              for (let i = 0; i < todo.length; i += CHUNK) {
                const chunk = todo.slice(i, i + CHUNK);
                // Sent first, recorded second: a crash in between sends these again next time, and docs/architecture.md#rule-2-at-least-once-in-exactly-once-effect
                // counts each event once anyway. The other order could lose them.
                const offsets = await producer!.send(
                  chunk.map((r) => ({
                    key: r.key,
                    value: r.value,
                    headers: redriveHeaders(r.headers, { topic: dlqTopic, partition: r.partition, offset: r.offset }),
                  })),
                );
                const rows: Redrive[] = chunk.map((r, j) => ({
                  dlq: { topic: dlqTopic, partition: r.partition, offset: r.offset },
                  tenantId: tenantOf(r),
                  target: { topic: rawTopic, ...offsets[j]! },
                }));
                await recordRedrives(sql, rows);
                for (const [j, r] of chunk.entries()) {
                  const info = readDeadLetter(r.headers);
                  redriven.push({
                    id: formatDlqId(r.partition, r.offset),
                    origin: info.origin,
                    tenant_id: tenantOf(r),
                    target: rows[j]!.target,
                  });
                }
              }
              bar.advance(asked.length);
            },
            { maxPerPartition },
          );
        });
      } finally {
        bar.done();
        await producer?.close();
      }
      const scope = tenant ? ` of tenant ${tenant.slug}` : '';
      const skippedLine =
        skipped.length > 0
          ? [
              `skipped ${skipped.length}: ${skipped
                .slice(0, 10)
                .map((s) => `${s.id} (${s.reason === 'other_tenant' ? 'another tenant' : 'already redriven'})`)
                .join(', ')}${skipped.length > 10 ? ', …' : ''}`,
            ]
          : [];
      if (dryRun) {
        const lines = [
          wouldRedrive.length === 0
            ? `dry run: nothing to redrive${scope}`
            : `dry run: would send ${wouldRedrive.length} record(s)${scope} back to ${rawTopic}; nothing was sent`,
          ...wouldRedrive.map(
            (r) => `  ${r.id}${r.origin ? ` (from ${r.origin.topic}/${r.origin.partition}@${r.origin.offset})` : ''}`,
          ),
          ...skippedLine,
        ];
        cli.print(cli.out(), { dry_run: true, would_redrive: wouldRedrive, skipped }, lines.join('\n'));
        return;
      }
      const text = [
        redriven.length === 0
          ? `nothing to redrive${scope}`
          : `sent ${redriven.length} record(s)${scope} back to ${rawTopic}`,
        ...redriven.map((r) => `  ${r.id} -> ${r.target.topic}/${r.target.partition}@${r.target.offset}`),
        ...skippedLine,
      ].join('\n');
      cli.print(cli.out(), { redriven, skipped }, text);
    });
}

/** Parses and checks --id values against what the DLQ holds, before anything is sent. */
function selectIds(
  ids: string[],
  ranges: { partition: number; low: number; high: number }[],
  topic: string,
): Map<string, { partition: number; offset: number }> {
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
