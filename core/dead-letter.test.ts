import {
  afterFailedAttempt,
  deadLetterMessage,
  originalHeaders,
  parseDlqId,
  readDeadLetter,
  recordFingerprint,
  redriveHeaders,
  type DeadLetter,
} from './dead-letter';

const letter: DeadLetter = {
  origin: { topic: 'events_raw', partition: 4, offset: 1234 },
  reason: 'processing_failed',
  error: '22P05 unsupported Unicode escape sequence',
  attempts: 3,
  tenantId: '0190c2a4-7e4b-7c3a-9d7e-2f4a1b3c5d6e',
  key: '0190c2a4-7e4b-7c3a-9d7e-2f4a1b3c5d6e',
  value: '{"v":1}',
  headers: { request_id: 'req-1', traceparent: '00-abc-def-01' },
};

describe('dead-letter records', () => {
  it('keep the original key, value and headers next to the error, attempts, tenant and origin', () => {
    const m = deadLetterMessage(letter);
    expect(m).toEqual({
      key: letter.key,
      value: letter.value,
      headers: {
        request_id: 'req-1',
        traceparent: '00-abc-def-01',
        dlq_reason: 'processing_failed',
        dlq_error: '22P05 unsupported Unicode escape sequence',
        dlq_attempts: '3',
        dlq_tenant_id: letter.tenantId,
        dlq_source_topic: 'events_raw',
        dlq_source_partition: '4',
        dlq_source_offset: '1234',
      },
    });
    expect(readDeadLetter(m.headers)).toEqual({
      origin: letter.origin,
      reason: 'processing_failed',
      error: letter.error,
      attempts: 3,
      tenantId: letter.tenantId,
      redrivenFrom: null,
    });
  });

  it('redrive with the original headers and where in the DLQ the record came from', () => {
    const m = deadLetterMessage(letter);
    expect(redriveHeaders(m.headers, { topic: 'events_dlq', partition: 0, offset: 17 })).toEqual({
      request_id: 'req-1',
      traceparent: '00-abc-def-01',
      redriven_from: 'events_dlq:0:17',
    });
  });

  it('a record dead-lettered again after a redrive keeps only its latest dead-letter headers', () => {
    const again = deadLetterMessage({
      ...letter,
      headers: { ...deadLetterMessage(letter).headers, redriven_from: 'events_dlq:0:17' },
      attempts: 1,
    });
    expect(again.headers.dlq_attempts).toBe('1');
    expect(readDeadLetter(again.headers).redrivenFrom).toBe('events_dlq:0:17');
  });

  it('reads records written before the dlq_ prefix (headers error and source_*)', () => {
    const legacy = {
      request_id: 'r',
      error: 'unparseable_json',
      source_topic: 'events_raw',
      source_partition: '2',
      source_offset: '9',
    };
    expect(readDeadLetter(legacy)).toEqual({
      origin: { topic: 'events_raw', partition: 2, offset: 9 },
      reason: 'unparseable_json',
      error: 'unparseable_json',
      attempts: 1,
      tenantId: null,
      redrivenFrom: null,
    });
    expect(originalHeaders(legacy)).toEqual({ request_id: 'r' });
  });

  it('parse DLQ ids as dlq list prints them', () => {
    expect(parseDlqId('0:17')).toEqual({ partition: 0, offset: 17 });
    expect(parseDlqId(' 2:0 ')).toEqual({ partition: 2, offset: 0 });
    expect(parseDlqId('0-17')).toBeUndefined();
    expect(parseDlqId('a:1')).toBeUndefined();
    expect(parseDlqId('0:99999999999999999999')).toBeUndefined();
  });

  it('fingerprint key and value, telling null from empty', () => {
    expect(recordFingerprint('k', 'v').equals(recordFingerprint('k', 'v'))).toBe(true);
    expect(recordFingerprint('k', 'v').equals(recordFingerprint('k', 'w'))).toBe(false);
    expect(recordFingerprint(null, 'v').equals(recordFingerprint('', 'v'))).toBe(false);
    expect(recordFingerprint('a', 'bc').equals(recordFingerprint('ab', 'c'))).toBe(false);
  });
});

describe('a record that failed on its own', () => {
  it('is retried with its attempt counted until it has failed the most times allowed, then dead-lettered', () => {
    expect(afterFailedAttempt(1, 3)).toEqual({ kind: 'rejected', reason: { attempt: 1, of: 3 } });
    expect(afterFailedAttempt(2, 3)).toEqual({ kind: 'rejected', reason: { attempt: 2, of: 3 } });
    expect(afterFailedAttempt(3, 3)).toEqual({ kind: 'dead_letter', reason: 'processing_failed' });
    expect(afterFailedAttempt(4, 3)).toEqual({ kind: 'dead_letter', reason: 'processing_failed' });
  });
});
