import { parseAuditPage } from './audit';
import { ShapeError } from './shape';

describe('parseAuditPage', () => {
  const entry = {
    id: '42',
    at: '2026-12-05T10:00:00.000Z',
    actor: { kind: 'user', id: 'u1', email: 'ana@example.com' },
    action: 'dashboard.update',
    target: 'd1',
    before: { name: 'Ops' },
    after: { name: 'Operations' },
  };

  it('reads a page as the API answers it', () => {
    expect(parseAuditPage({ entries: [entry], next_cursor: 'c' })).toEqual({ entries: [entry], next_cursor: 'c' });
    const key = { ...entry, actor: { kind: 'api_key', id: 'k1' }, target: null, before: null };
    expect(parseAuditPage({ entries: [key], next_cursor: null }).entries[0]).toEqual(key);
  });

  it('refuses a body that does not fit', () => {
    for (const body of [
      null,
      { entries: {} },
      { entries: [{ ...entry, actor: { kind: 'robot', id: 'x' } }] },
      { entries: [{ ...entry, before: 'text' }] },
      { entries: [{ ...entry, id: 42 }] },
    ])
      expect(() => parseAuditPage(body)).toThrow(ShapeError);
  });
});
