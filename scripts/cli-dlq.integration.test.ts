import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { childEnv, ROOT, runCli, type CliResult } from '../test/child-process';
import { useTestEnv, eventually } from '../test/harness';
import { mskBatch, rawEvent } from '../test/builders';
import { createAggregateHandler } from '../functions/aggregate/handler';
import { hostKafkaFunction } from '../local/consumers';
import { deadLetterMessage } from '../core/dead-letter';
import { encodeRawEvent } from '../core/raw-event';
import { partitionRanges, readFromStart, type TopicRecord } from '../adapters/kafka/dlq';
import type { RunningConsumerGroup } from '../adapters/kafka/consumer-group';
import { rollupTotal, storedEventCount } from '../test/reads';

const { env, tenant } = useTestEnv('clidlq', { tenants: 1 });
let rawTopic: string;
let dlqTopic: string;

beforeAll(() => {
  rawTopic = env.config.kafka.topics.eventsRaw;
  dlqTopic = env.config.kafka.topics.eventsDlq;
});

function cli(...args: string[]): Promise<CliResult> {
  return cliWith({}, ...args);
}

function cliWith(extraEnv: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return runCli(env.config, args, extraEnv);
}

/** `customersignal <args>` on a pseudo-terminal (util-linux script), answering prompts with `input`. */
function onTerminal(args: string[], input: string): Promise<{ code: number; output: string }> {
  const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
  const command = [join(ROOT, 'node_modules/.bin/tsx'), join(ROOT, 'scripts/cli.ts'), ...args].map(quote).join(' ');
  return new Promise((resolve) => {
    const child = execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { cwd: ROOT, env: childEnv(env.config), timeout: 60_000 },
      (error, stdout) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, output: stdout });
      },
    );
    child.stdin!.end(input);
  });
}

async function cliJson(...args: string[]) {
  const r = await cli('--json', ...args);
  if (r.code !== 0) throw new Error(`cli ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function topicRecords(topic: string): Promise<TopicRecord[]> {
  const all: TopicRecord[] = [];
  await readFromStart(env.adapters.kafka, topic, async (records) => void all.push(...records));
  return all.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

const ends = async (topic: string) => (await partitionRanges(env.adapters.kafka, topic)).map((r) => r.high);

/** Until the aggregate group has committed everything in the raw topic. */
async function caughtUp(): Promise<void> {
  await eventually(async () => {
    const admin = env.adapters.kafka.admin();
    await admin.connect();
    try {
      const [committed] = await admin.fetchOffsets({ groupId: env.config.kafka.groups.aggregate, topics: [rawTopic] });
      const highs = await admin.fetchTopicOffsets(rawTopic);
      return highs.every(
        (h) => h.high === '0' || committed!.partitions.find((p) => p.partition === h.partition)?.offset === h.high,
      )
        ? true
        : undefined;
    } finally {
      await admin.disconnect();
    }
  }, 30_000);
}

async function storedCount(eventType: string): Promise<number> {
  return storedEventCount(env.adapters.sql, tenant.id, eventType);
}

describe('cli dlq', () => {
  it('lists dead-lettered records; redrives each once, and a redriven event counts once', async () => {
    // Prepare: three DLQ entries.
    // 0:0 — a record Postgres rejects (NUL in jsonb), dead-lettered by the handler after 3 attempts.
    const handler = createAggregateHandler(env.adapters);
    const poison = rawEvent(tenant, { eventType: 'redrive_poison', properties: { note: 'a\u0000b' } });
    const poisonBatch = mskBatch(rawTopic, [poison], 0, 500);
    for (let i = 0; i < 2; i++) await expect(handler(poisonBatch)).rejects.toMatchObject({ name: 'RecordFailedError' });
    expect(await handler(poisonBatch)).toMatchObject({ deadLettered: 1 });
    // 0:1 — a valid event an older build dead-lettered (crafted straight into the DLQ).
    const valid = rawEvent(tenant, { eventType: 'redrive_valid' });
    // 0:2 — a copy of an event that was counted already.
    const counted = rawEvent(tenant, { eventType: 'redrive_valid' });
    await handler(mskBatch(rawTopic, [counted], 0, 600));
    await env.adapters.log.send(dlqTopic, [
      deadLetterMessage({
        origin: { topic: rawTopic, partition: 0, offset: 700 },
        reason: 'unknown_wire_version',
        error: 'unknown_wire_version',
        attempts: 1,
        tenantId: null,
        key: tenant.id,
        value: encodeRawEvent(valid),
        headers: { request_id: 'req-valid' },
      }),
    ]);
    await env.adapters.log.send(dlqTopic, [
      deadLetterMessage({
        origin: { topic: rawTopic, partition: 0, offset: 600 },
        reason: 'processing_failed',
        error: 'ReplyError: WRONGTYPE Operation against a key holding the wrong kind of value',
        attempts: 3,
        tenantId: tenant.id,
        key: tenant.id,
        value: encodeRawEvent(counted),
        headers: {},
      }),
    ]);
    expect(await storedCount('redrive_valid')).toBe(1);

    // Act + Assess: list.
    const listed = await cliJson('dlq', 'list');
    expect(listed).toHaveLength(3);
    expect(listed[0]).toEqual({
      id: '0:0',
      partition: 0,
      offset: 0,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      reason: 'processing_failed',
      error: '22P05 unsupported Unicode escape sequence',
      attempts: 3,
      origin: { topic: rawTopic, partition: 0, offset: 500 },
      tenant_id: tenant.id,
      tenant: tenant.slug,
      key: tenant.id,
      redriven: null,
    });
    expect(listed.map((e: { id: string; reason: string }) => [e.id, e.reason])).toEqual([
      ['0:0', 'processing_failed'],
      ['0:1', 'unknown_wire_version'],
      ['0:2', 'processing_failed'],
    ]);
    expect(await cliJson('dlq', 'list', '--limit', '1')).toHaveLength(1);
    const text = await cli('dlq', 'list');
    expect(text.stdout).toMatch(/^ID\s+DEAD-LETTERED\s+ORIGIN/);
    expect(text.stdout).toContain(`${rawTopic}/0@500`);
    expect(text.stdout).toContain('3 of 3 entries');

    // Redrive the two valid ones, then let the aggregate group consume events_raw.
    const aggregate: RunningConsumerGroup = await hostKafkaFunction(env.config.kafka, {
      groupId: env.config.kafka.groups.aggregate,
      topic: rawTopic,
      batchSize: 100,
      handler,
      bootstrapServers: env.config.kafka.brokers.join(','),
    });
    try {
      const first = await cliJson('dlq', 'redrive', '--id', '0:1', '--id', '0:2');
      expect(first.skipped).toEqual([]);
      expect(first.redriven).toEqual([
        // No tenant header: the tenant is the record's key.
        {
          id: '0:1',
          origin: { topic: rawTopic, partition: 0, offset: 700 },
          tenant_id: tenant.id,
          target: { topic: rawTopic, partition: expect.any(Number), offset: expect.any(Number) },
        },
        {
          id: '0:2',
          origin: { topic: rawTopic, partition: 0, offset: 600 },
          tenant_id: tenant.id,
          target: { topic: rawTopic, partition: expect.any(Number), offset: expect.any(Number) },
        },
      ]);
      const target = first.redriven[0].target;
      const sent = (await topicRecords(rawTopic)).find(
        (r) => r.partition === target.partition && r.offset === target.offset,
      )!;
      expect(sent.key!.toString()).toBe(tenant.id);
      expect(sent.value!.toString()).toBe(encodeRawEvent(valid));
      expect(sent.headers).toEqual({ request_id: 'req-valid', redriven_from: `${dlqTopic}:0:1` });

      await caughtUp();
      expect(await storedCount('redrive_valid')).toBe(2); // the new event once, the copy not again
      expect(await rollupTotal(env.adapters.sql, tenant.id, { eventType: 'redrive_valid' })).toBe(2);

      // A second redrive of the same entries sends nothing.
      const rawEnds = await ends(rawTopic);
      const again = await cliJson('dlq', 'redrive', '--id', '0:1,0:2');
      expect(again).toEqual({
        redriven: [],
        skipped: [
          expect.objectContaining({ id: '0:1', reason: 'already_redriven' }),
          expect.objectContaining({ id: '0:2', reason: 'already_redriven' }),
        ],
      });
      expect(await ends(rawTopic)).toEqual(rawEnds);

      // Redriving the tenant's pending entries sends only the poison record; it fails again and is dead-lettered again.
      const rest = await cliJson('dlq', 'redrive', '--tenant', tenant.slug);
      expect(rest.redriven.map((r: { id: string }) => r.id)).toEqual(['0:0']);
      expect(rest.skipped.map((r: { id: string }) => r.id)).toEqual(['0:1', '0:2']);
      const back = await eventually(async () => {
        const l = await cliJson('dlq', 'list');
        return l.length === 4 ? l : undefined;
      }, 30_000);
      expect(back[0].redriven).toEqual({ at: expect.any(String), ...rest.redriven[0].target });
      expect(back[3]).toMatchObject({
        id: '0:3',
        reason: 'processing_failed',
        attempts: 3,
        origin: rest.redriven[0].target,
        redriven: null,
      });
      await caughtUp();
      expect(await storedCount('redrive_poison')).toBe(0);
    } finally {
      await aggregate.stop();
    }
  }, 180_000);

  it('redrive is scoped explicitly: --tenant, --id, or --all with confirmation; --dry-run sends nothing', async () => {
    const other = await env.createTenant();
    const origin = (offset: number) => ({ topic: rawTopic, partition: 0, offset });
    await env.adapters.log.send(dlqTopic, [
      deadLetterMessage({
        origin: origin(900),
        reason: 'processing_failed',
        error: 'x',
        attempts: 3,
        tenantId: tenant.id,
        key: tenant.id,
        value: encodeRawEvent(rawEvent(tenant, { eventType: 'scoped_mine' })),
        headers: {},
      }),
      // No tenant header: the key says whose it is.
      deadLetterMessage({
        origin: origin(901),
        reason: 'unknown_wire_version',
        error: 'x',
        attempts: 1,
        tenantId: null,
        key: other.id,
        value: encodeRawEvent(rawEvent(other, { eventType: 'scoped_theirs' })),
        headers: {},
      }),
    ]);
    const pendingOf = async (who: string) =>
      (
        (await cliJson('dlq', 'list', '--tenant', who, '--limit', '1000')) as {
          id: string;
          tenant_id: string;
          redriven: unknown;
        }[]
      ).filter((e) => e.redriven === null);
    const mine = await pendingOf(tenant.slug);
    const theirs = await pendingOf(other.id);
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect(mine.every((e) => e.tenant_id === tenant.id)).toBe(true);
    expect(theirs.map((e) => e.tenant_id)).toEqual([other.id]);
    const listed = await cli('dlq', 'list', '--tenant', other.slug);
    expect(listed.stdout).toContain(`1 of 1 entries of tenant ${other.slug}`);
    const rawEnds = await ends(rawTopic);

    // A bare redrive, or --all without a terminal and without --yes, sends nothing and says how to scope it.
    const bare = await cli('dlq', 'redrive');
    expect(bare.code).toBe(1);
    expect(bare.stderr.trim()).toMatch(
      /^error: dlq redrive needs a scope: --tenant <slug\|id> \(one tenant\), --id <partition>:<offset> .* or --all \(every tenant, asks for confirmation\); add --dry-run/,
    );
    const unconfirmed = await cli('dlq', 'redrive', '--all');
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr.trim()).toMatch(
      /^error: --all redrives the entries of every tenant \(\d+ in .*\); not on a terminal, confirm with --yes/,
    );
    const mixed = await cli('dlq', 'redrive', '--all', '--tenant', other.slug);
    expect(mixed.code).toBe(1);
    const unknown = await cli('dlq', 'redrive', '--tenant', 'no-such-tenant');
    expect(unknown.stderr.trim()).toBe(
      'error: tenant "no-such-tenant" does not exist; create it with: customersignal tenant create no-such-tenant',
    );

    // --dry-run shows what would be sent, for every tenant or for one.
    const dryAll = await cliJson('dlq', 'redrive', '--all', '--dry-run');
    expect(dryAll.dry_run).toBe(true);
    expect(dryAll.would_redrive.map((e: { id: string }) => e.id).sort()).toEqual(
      [...mine, ...theirs].map((e) => e.id).sort(),
    );
    const dryTheirs = await cliJson('dlq', 'redrive', '--tenant', other.id, '--dry-run');
    expect(dryTheirs.would_redrive).toEqual([{ id: theirs[0]!.id, origin: origin(901), tenant_id: other.id }]);
    const dryText = await cli('dlq', 'redrive', '--tenant', other.slug, '--dry-run');
    expect(dryText.stdout).toContain(
      `dry run: would send 1 record(s) of tenant ${other.slug} back to ${rawTopic}; nothing was sent`,
    );
    expect(await ends(rawTopic)).toEqual(rawEnds);
    expect(await pendingOf(tenant.slug)).toEqual(mine);

    // --tenant redrives that tenant's entries only; --id of another tenant's entry under --tenant is skipped.
    const crossed = await cliJson('dlq', 'redrive', '--tenant', other.slug, '--id', mine[0]!.id);
    expect(crossed).toEqual({
      redriven: [],
      skipped: [{ id: mine[0]!.id, reason: 'other_tenant', tenant_id: tenant.id }],
    });
    const onlyTheirs = await cliJson('dlq', 'redrive', '--tenant', other.slug);
    expect(onlyTheirs.redriven.map((r: { id: string; tenant_id: string }) => [r.id, r.tenant_id])).toEqual([
      [theirs[0]!.id, other.id],
    ]);
    expect(await pendingOf(other.slug)).toEqual([]);
    expect(await pendingOf(tenant.slug)).toEqual(mine);

    // --all on a terminal asks; anything but y sends nothing, y redrives every tenant's pending entries.
    const ends2 = await ends(rawTopic);
    const no = await onTerminal(['dlq', 'redrive', '--all'], 'n\n');
    expect(no.code).toBe(1);
    expect(no.output).toMatch(/Redrive every tenant's pending entries \(\d+ in .*\) to .*\? \[y\/N\]/);
    expect(no.output).toContain('error: not confirmed; nothing was sent');
    expect(await ends(rawTopic)).toEqual(ends2);
    const yes = await onTerminal(['dlq', 'redrive', '--all'], 'y\n');
    expect(yes.code).toBe(0);
    expect(yes.output).toContain(`sent ${mine.length} record(s) back to ${rawTopic}`);
    expect(await pendingOf(tenant.slug)).toEqual([]);
    // Without a terminal, --yes confirms (here: nothing left).
    expect(await cliJson('dlq', 'redrive', '--all', '--yes')).toMatchObject({ redriven: [] });
  }, 180_000);

  it('refuses bad ids with one clear line and a non-zero exit, before sending anything', async () => {
    const rawEnds = await ends(rawTopic);
    const bad = await cli('dlq', 'redrive', '--id', 'nope');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual([
      'error: --id must be <partition>:<offset> as dlq list shows it; got "nope"',
    ]);
    const missing = await cli('dlq', 'redrive', '--id', '0:999');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`error: 0:999 is not in ${dlqTopic}; see: customersignal dlq list`);
    const limit = await cli('dlq', 'list', '--limit', '0');
    expect(limit.code).toBe(1);
    expect(limit.stderr.trim()).toBe('error: --limit must be a whole number from 1 to 1000000; got "0"');
    const noTopic = await cliWith({ KAFKA_TOPIC_EVENTS_DLQ: `no_such_dlq_${env.runId}` }, 'dlq', 'list');
    expect(noTopic.code).toBe(1);
    expect(noTopic.stderr.trim()).toBe(
      `error: topic no_such_dlq_${env.runId} does not exist; create it with: customersignal topics`,
    );
    expect(await ends(rawTopic)).toEqual(rawEnds);
  }, 90_000);
});
