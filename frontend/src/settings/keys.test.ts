import { isCurrentKey } from './keys';

describe('isCurrentKey', () => {
  it('is the active key whose prefix the session key starts with', () => {
    const key = 'cs_abcdef0123456789abcdef0123456789';
    expect(isCurrentKey({ prefix: 'cs_abcdef01', revoked_at: null }, key)).toBe(true);
    expect(isCurrentKey({ prefix: 'cs_zzzzzz01', revoked_at: null }, key)).toBe(false);
    expect(isCurrentKey({ prefix: 'cs_abcdef01', revoked_at: '2026-11-27T10:00:00Z' }, key)).toBe(false);
    expect(isCurrentKey({ prefix: '', revoked_at: null }, key)).toBe(false);
  });
});
