import { decodeCursor, encodeCursor } from './cursor';

describe('explorer cursor', () => {
  it('round-trips', () => {
    const c = {
      pinnedAt: '2026-11-27T10:00:00.123456Z',
      lastTimestamp: '2026-11-27T09:59:00.000Z',
      lastEventId: 'e/1',
    };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
  });

  it.each([
    '',
    'abc',
    Buffer.from('[2,"a","b","c"]').toString('base64url'),
    Buffer.from('[1,"x","y","z"]').toString('base64url'),
  ])('refuses %j with 400 invalid_cursor', (raw) => {
    expect(() => decodeCursor(raw)).toThrow(expect.objectContaining({ kind: 'invalid', code: 'invalid_cursor' }));
  });
});

describe('forged cursors', () => {
  const forge = (v: unknown[]) => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
  const ok = '2026-11-27T10:00:00.123456Z';
  it.each([
    ['extreme year', [1, ok, '+275760-09-13T00:00:00.000Z', 'e']],
    ['negative year', [1, ok, '-000001-01-01T00:00:00.000Z', 'e']],
    ['year 0', [1, '0000-01-01T00:00:00Z', ok, 'e']],
    ['not ISO', [1, ok, 'Tue Nov 27 2026', 'e']],
    ['offset', [1, ok, '2026-11-27T10:00:00+02:00', 'e']],
    ['impossible day', [1, ok, '2026-02-30T00:00:00Z', 'e']],
    ['NUL event id', [1, ok, ok, 'a\u0000b']],
    ['lone surrogate event id', [1, ok, ok, 'a\ud800']],
    ['huge event id', [1, ok, ok, 'x'.repeat(10_000)]],
    ['number event id', [1, ok, ok, 5]],
  ])('refuses %s with 400 invalid_cursor', (_, v) => {
    expect(() => decodeCursor(forge(v as unknown[]))).toThrow(
      expect.objectContaining({ kind: 'invalid', code: 'invalid_cursor' }),
    );
  });

  it('accepts the empty event id a windowed scan resumes with, and paired surrogates', () => {
    expect(decodeCursor(forge([1, ok, '0001-01-01T00:00:00.000Z', ''])).lastEventId).toBe('');
    expect(decodeCursor(forge([1, ok, '9999-12-31T23:59:59.999Z', 'emoji-\u{1F600}'])).lastEventId).toBe(
      'emoji-\u{1F600}',
    );
  });
});
