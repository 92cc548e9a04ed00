import * as net from 'node:net';
import type { ISocketFactory } from 'kafkajs';
import { useTestEnv } from '../../test/harness';
import { sendRecords } from '../../test/kafka-records';
import { createKafka } from './client';
import { readRange, resolveRange, type RangeRecord } from './range-reader';

const { env } = useTestEnv('rangereader');

/** JoinGroup's API key in the Kafka protocol. */
const JOIN_GROUP = 11;

/**
 * Connections straight to the broker, except that the first JoinGroup request breaks its connection before it is
 * sent, the way a loaded broker's connection drops: that join fails and kafkajs restarts the consumer on its own.
 */
function failingFirstJoin(): { socketFactory: ISocketFactory; joins: () => number } {
  let joins = 0;
  const socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = net.connect({ host, port }, onConnect);
    const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
    // A request: int32 size, int16 api key, int16 api version, int32 correlation id, ...
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (Buffer.isBuffer(chunk) && chunk.length >= 6 && chunk.readInt16BE(4) === JOIN_GROUP && joins++ === 0) {
        socket.destroy(new Error('connection dropped before the first JoinGroup (injected)'));
        return false;
      }
      return write(chunk, ...rest);
    }) as typeof socket.write;
    return socket;
  };
  return { socketFactory, joins: () => joins };
}

describe('readRange', () => {
  it('reads exactly the range when the first join fails and the consumer restarts itself', async () => {
    const topic = env.config.kafka.topics.eventsRaw;
    // Partition 1 must end at 2, not 4: an idempotent producer, whose retried send is never appended twice.
    await sendRecords(env.adapters.kafka, topic, [
      ...['a0', 'a1', 'a2', 'a3'].map((v) => ({ partition: 0, value: v })),
      ...['b0', 'b1'].map((v) => ({ partition: 1, value: v })),
    ]);
    const ranges = (await resolveRange(env.adapters.kafka, topic, { offset: 1 })).map((r) =>
      r.partition === 0 ? { ...r, end: 3 } : r,
    );
    expect(ranges).toEqual([
      { partition: 0, start: 1, end: 3 },
      { partition: 1, start: 1, end: 2 },
      { partition: 2, start: 0, end: 0 },
    ]);

    const fault = failingFirstJoin();
    const kafka = createKafka({
      brokers: env.config.kafka.brokers,
      clientId: `range-reader-${env.runId}`,
      socketFactory: fault.socketFactory,
    });
    const read: RangeRecord[] = [];
    await readRange(kafka, topic, ranges, async (records) => void read.push(...records), { idleTimeoutMs: 60_000 });

    expect(fault.joins()).toBeGreaterThanOrEqual(2); // the failed join, then the restarted consumer's
    // Each partition in offset order; the partitions may come in any order.
    const got = read.map((r) => [r.partition, Number(r.offset), r.value!.toString()] as const);
    expect(got.filter(([p]) => p === 0)).toEqual([
      [0, 1, 'a1'],
      [0, 2, 'a2'],
    ]);
    expect(got.filter(([p]) => p !== 0)).toEqual([[1, 1, 'b1']]);
  }, 90_000);
});
