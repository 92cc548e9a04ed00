import { decodeRecords, toMskEvent, type MskEvent } from './msk-event';
import fixture from '../test/fixtures/msk-event.json';

describe('MSK events', () => {
  it('decodes a real-shaped MSK event: base64 key and value, byte-array headers, partition/offset order', () => {
    const records = decodeRecords(fixture as MskEvent);
    expect(records.map((r) => [r.partition, r.offset])).toEqual([
      [0, 15],
      [0, 16],
      [1, 3],
    ]);
    expect(records[0]).toMatchObject({
      topic: 'events_raw',
      key: 'tenant-a',
      value: '{"hello":"world"}',
      headers: { error: 'x' },
    });
  });

  it('round-trips what the local runtime builds', () => {
    const event = toMskEvent([
      {
        topic: 't',
        partition: 2,
        offset: '7',
        timestamp: '1700000000000',
        key: Buffer.from('k'),
        value: Buffer.from('v'),
        headers: { h: 'x' },
      },
    ]);
    expect(Object.keys(event.records)).toEqual(['t-2']);
    expect(decodeRecords(event)).toEqual([
      { topic: 't', partition: 2, offset: 7, timestamp: 1700000000000, key: 'k', value: 'v', headers: { h: 'x' } },
    ]);
  });
});
