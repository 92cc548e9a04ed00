import { useTestEnv, eventually } from '../../test/harness';
import { mskBatch, rawEvent } from '../../test/builders';
import { createAggregateHandler } from './handler';
import { decodeRawEvent, encodeRawEvent } from '../../core/raw-event';
import { createSql } from '../../adapters/postgres/client';
import { createAggregateStore } from '../../adapters/postgres/aggregate-store';
import { createDeadLetterStore } from '../../adapters/postgres/dead-letters';
import { hostKafkaFunction } from '../../local/consumers';
import { freePort } from '../../scripts/kafka/broker';
import { readFromStart } from '../../adapters/kafka/dlq';
import { rollupTotal, storedEventCount } from '../../test/reads';

const { env, tenant } = useTestEnv('poison', { overrides: { AGGREGATE_MAX_RECORD_ATTEMPTS: '3' }, tenants: 1 });

async function storedCount(eventType: string): Promise<number> {
  return storedEventCount(env.adapters.sql, tenant.id, eventType);
}

async function rollupCount(eventType: string): Promise<number> {
  return rollupTotal(env.adapters.sql, tenant.id, { eventType });
}

async function attemptsOf(topic: string, partition: number, offset: number) {
  const [row] = await env.adapters.sql<
    { attempts: number; tenantId: string | null; firstError: string; lastError: string; deadLettered: boolean }[]
  >`
    select attempts, tenant_id as "tenantId", first_error as "firstError", last_error as "lastError", dead_lettered_at is not null as "deadLettered"
    from record_attempts where topic = ${topic} and partition = ${partition} and "offset" = ${offset}`;
  return row;
}

/** Every record of the test run's DLQ topic, in order. */
async function dlqRecords(): Promise<{ key: string; value: string; headers: Record<string, string> }[]> {
  const seen: { key: string; value: string; headers: Record<string, string> }[] = [];
  await readFromStart(env.adapters.kafka, env.config.kafka.topics.eventsDlq, async (records) => {
    for (const r of records) seen.push({ key: String(r.key), value: String(r.value), headers: r.headers });
  });
  return seen;
}

/**
 * A property value Postgres jsonb cannot store (\u0000), but valid JSON our wire decoder accepts. Ingest refuses it
 * now; records written before that, or by another producer, still carry it.
 */
const NUL_PROPERTIES = { note: 'before\u0000after' };

describe('records that fail on their own', () => {
  it('stores the rest of the batch, counts the poison record’s attempts across deliveries, then dead-letters it and succeeds', async () => {
    // Prepare: a poison record between good ones, at offsets of their own.
    const topic = env.config.kafka.topics.eventsRaw;
    const ts = Date.now();
    const poison = rawEvent(tenant, { eventType: 'poison_neighbours', timestampMs: ts, properties: NUL_PROPERTIES });
    const good = [0, 1, 2].map(() => rawEvent(tenant, { eventType: 'poison_neighbours', timestampMs: ts }));
    expect(decodeRawEvent(encodeRawEvent(poison))).toMatchObject({ kind: 'ok' });
    const batch = mskBatch(topic, [good[0]!, poison, good[1]!, good[2]!], 1, 40);
    const handler = createAggregateHandler(env.adapters);

    // Act + Assess: the first two deliveries fail, the healthy records are stored once.
    await expect(handler(batch)).rejects.toMatchObject({
      name: 'RecordFailedError',
      message: expect.stringContaining('attempt 1 of 3'),
    });
    expect(await storedCount('poison_neighbours')).toBe(3);
    expect(await attemptsOf(topic, 1, 41)).toEqual({
      attempts: 1,
      tenantId: tenant.id,
      firstError: '22P05 unsupported Unicode escape sequence',
      lastError: '22P05 unsupported Unicode escape sequence',
      deadLettered: false,
    });
    await expect(handler(batch)).rejects.toMatchObject({
      name: 'RecordFailedError',
      message: expect.stringContaining('attempt 2 of 3'),
    });
    expect(await attemptsOf(topic, 1, 41)).toMatchObject({ attempts: 2, deadLettered: false });
    expect(await dlqRecords()).toEqual([]);

    // The third delivery dead-letters the record and succeeds.
    const third = await handler(batch);
    expect(third).toEqual({ records: 4, stored: 0, duplicates: 3, expired: 0, deadLettered: 1 });
    expect(await attemptsOf(topic, 1, 41)).toMatchObject({ attempts: 3, deadLettered: true });
    expect(await storedCount('poison_neighbours')).toBe(3);
    expect(await rollupCount('poison_neighbours')).toBe(3);
    const dlq = await dlqRecords();
    expect(dlq).toEqual([
      {
        key: tenant.id,
        value: encodeRawEvent(poison),
        headers: expect.objectContaining({
          dlq_reason: 'processing_failed',
          dlq_error: '22P05 unsupported Unicode escape sequence',
          dlq_attempts: '3',
          dlq_tenant_id: tenant.id,
          dlq_source_topic: topic,
          dlq_source_partition: '1',
          dlq_source_offset: '41',
        }),
      },
    ]);

    // A later delivery of the same batch (e.g. after a rebalance) does not dead-letter it twice.
    expect(await handler(batch)).toMatchObject({ stored: 0, deadLettered: 0 });
    expect(await dlqRecords()).toHaveLength(1);
  });

  it('an undecodable record is dead-lettered at once, counted as one attempt without a tenant', async () => {
    const topic = env.config.kafka.topics.eventsRaw;
    const before = (await dlqRecords()).length;
    const batch = mskBatch(
      topic,
      ['{"v": 1, "tenant_id": "not-a-uuid"', rawEvent(tenant, { eventType: 'undecodable_neighbour' })],
      2,
      70,
    );

    expect(await createAggregateHandler(env.adapters)(batch)).toMatchObject({ stored: 1, deadLettered: 1 });
    expect(await createAggregateHandler(env.adapters)(batch)).toMatchObject({ stored: 0, deadLettered: 0 });

    expect(await attemptsOf(topic, 2, 70)).toEqual({
      attempts: 1,
      tenantId: null,
      firstError: 'unparseable_json',
      lastError: 'unparseable_json',
      deadLettered: true,
    });
    const dlq = await dlqRecords();
    expect(dlq).toHaveLength(before + 1);
    expect(dlq[before]!.headers).toMatchObject({
      dlq_reason: 'unparseable_json',
      dlq_attempts: '1',
      dlq_source_partition: '2',
      dlq_source_offset: '70',
    });
    expect(dlq[before]!.headers.dlq_tenant_id).toBeUndefined();
  });

  it('hosted on a consumer group: the partition moves on after N redeliveries, with the healthy records counted once', async () => {
    // Prepare: good and poison records of one tenant (one partition, as keyed by ingest).
    const topic = env.config.kafka.topics.eventsRaw;
    const ts = Date.now();
    const values = [
      rawEvent(tenant, { eventType: 'hosted_poison', timestampMs: ts }),
      rawEvent(tenant, { eventType: 'hosted_poison', timestampMs: ts, properties: NUL_PROPERTIES }),
      rawEvent(tenant, { eventType: 'hosted_poison', timestampMs: ts }),
    ];
    await env.adapters.log.send(
      topic,
      values.map((e) => ({ key: e.tenantId, value: encodeRawEvent(e) })),
    );
    const dlqBefore = (await dlqRecords()).length;
    let deliveries = 0;
    const handler = createAggregateHandler(env.adapters);

    // Act
    const running = await hostKafkaFunction(env.config.kafka, {
      groupId: `hosted_${env.runId}`,
      topic,
      batchSize: 100,
      bootstrapServers: env.config.kafka.brokers.join(','),
      handler: async (event) => {
        deliveries++;
        return handler(event);
      },
    });
    try {
      // Assess: three deliveries (two failed), then the DLQ entry and the committed offsets.
      const dlq = await eventually(async () => {
        const all = await dlqRecords();
        return all.length === dlqBefore + 1 ? all : undefined;
      }, 30_000);
      await eventually(async () => {
        const admin = env.adapters.kafka.admin();
        await admin.connect();
        try {
          const [committed] = await admin.fetchOffsets({ groupId: `hosted_${env.runId}`, topics: [topic] });
          const ends = await admin.fetchTopicOffsets(topic);
          return ends.every(
            (e) => e.high === '0' || committed!.partitions.find((p) => p.partition === e.partition)?.offset === e.high,
          )
            ? true
            : undefined;
        } finally {
          await admin.disconnect();
        }
      }, 30_000);
      const origin = dlq[dlqBefore]!.headers;
      expect(origin).toMatchObject({
        dlq_reason: 'processing_failed',
        dlq_attempts: '3',
        dlq_source_topic: topic,
        dlq_source_offset: '1',
      });
      expect(await attemptsOf(topic, Number(origin.dlq_source_partition), 1)).toMatchObject({
        attempts: 3,
        deadLettered: true,
      });
    } finally {
      await running.stop();
    }
    expect(deliveries).toBeGreaterThanOrEqual(3);
    expect(await storedCount('hosted_poison')).toBe(2);
    expect(await rollupCount('hosted_poison')).toBe(2);
  });

  it('does not count or dead-letter anything while Postgres is unreachable', async () => {
    // Prepare: the same kind of batch, but Postgres behind a closed port.
    const topic = env.config.kafka.topics.eventsRaw;
    const closed = new URL(env.config.database.url);
    closed.port = String(await freePort());
    const unreachable = createSql({ url: closed.toString(), poolSize: 1, prepare: true });
    const batch = mskBatch(
      topic,
      [
        '{not json',
        rawEvent(tenant, { eventType: 'infra_down' }),
        rawEvent(tenant, { eventType: 'infra_down', properties: NUL_PROPERTIES }),
      ],
      0,
      900,
    );
    const dlqBefore = (await dlqRecords()).length;
    const handler = createAggregateHandler({
      ...env.adapters,
      aggregateStore: createAggregateStore(unreachable),
      deadLetters: createDeadLetterStore(unreachable),
    });

    // Act
    try {
      for (let i = 0; i < 4; i++) await expect(handler(batch)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    } finally {
      await unreachable.end({ timeout: 1 });
    }

    // Assess: nothing counted, nothing dead-lettered; with Postgres back the batch goes through as usual.
    const [rows] = await env.adapters.sql<
      { n: number }[]
    >`select count(*)::int as n from record_attempts where topic = ${topic} and "offset" >= 900`;
    expect(rows!.n).toBe(0);
    expect(await dlqRecords()).toHaveLength(dlqBefore);
    await expect(createAggregateHandler(env.adapters)(batch)).rejects.toMatchObject({ name: 'RecordFailedError' });
    expect(await storedCount('infra_down')).toBe(1);
    expect(await attemptsOf(topic, 0, 902)).toMatchObject({ attempts: 1 });
  });
});
