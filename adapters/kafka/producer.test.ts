// The producer plans its sends with recordBytes(): it must never under-estimate what kafkajs writes for a
// record, for any key, value and headers (all of Unicode, lone surrogates included) at any position in a batch.
import fc from 'fast-check';
import { Partitioners, type PartitionerArgs } from 'kafkajs';
import { memoizedDefaultPartitioner, recordBytes } from './producer';

// kafkajs's own v2 record encoder (the one its producer uses for every message).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an internal module with no typings or exports map
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (r: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer;
  value: Buffer;
  headers: Record<string, string>;
}) => { buffer: Buffer };

const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.constantFrom('\ud800', 'a\udfffb', '\uffff\ufffe', '\u0000'),
  );

describe('recordBytes', () => {
  it('is at least the size kafkajs encodes a record to', () => {
    fc.assert(
      fc.property(
        text(40),
        fc.oneof(
          text(200),
          fc.integer({ min: 0, max: 70_000 }).map((n) => 'x'.repeat(n)),
        ),
        fc.dictionary(text(20), text(80), { maxKeys: 4 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (key, value, headers, offsetDelta, timestampDelta) => {
          const actual = encodeRecord({
            offsetDelta,
            timestampDelta,
            key: Buffer.from(key),
            value: Buffer.from(value),
            headers,
          }).buffer.length;
          expect(recordBytes({ key, value, headers })).toBeGreaterThanOrEqual(actual);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('memoizedDefaultPartitioner', () => {
  it('picks the partition kafkajs picks, for any key, topic and partition count, also when asked again', () => {
    const memo = memoizedDefaultPartitioner();
    const plain = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(
        fc.constantFrom('events_raw', 'metric_updates'),
        fc.integer({ min: 1, max: 64 }),
        fc.oneof(fc.uuid(), fc.string({ unit: 'grapheme', maxLength: 30 })),
        (topic, partitions, key) => {
          const args: PartitionerArgs = {
            topic,
            partitionMetadata: Array.from({ length: partitions }, (_, i) => ({
              partitionId: i,
              leader: 0,
              partitionErrorCode: 0,
              replicas: [0],
              isr: [0],
            })),
            message: { key, value: 'v' },
          };
          const expected = plain(args);
          expect(memo(args)).toBe(expected);
          expect(memo(args)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
