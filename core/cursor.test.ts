import { decodeCursor, encodeCursor } from './cursor';

describe('explorer cursor', () => {
  it('round-trips', () => {
    const c = { pinnedAt: '2026-11-27T10:00:00.123456Z', lastTimestamp: '2026-11-27T09:59:00.000Z', lastEventId: 'e/1' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
  });

  it.each(['', 'abc', Buffer.from('[2,"a","b","c"]').toString('base64url'), Buffer.from('[1,"x","y","z"]').toString('base64url')])('refuses %j with 400 invalid_cursor', (raw) => {
    expect(() => decodeCursor(raw)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_cursor' }));
  });
});
