import { EXPORT_FALLBACK_RETENTION_DAYS, EXPORT_FUTURE_MARGIN_MS, exportFilters } from './events';

describe('exportFilters (GET /v1/events/export requires from and to, docs/api.md#export)', () => {
  const now = Date.parse('2026-12-05T09:00:00.000Z');

  it('keeps a given range and every other filter as they are', () => {
    const filters = { event_type: ['signup'], from: '2026-12-01T00:00:00.000Z', to: '2026-12-02T00:00:00.000Z' };
    expect(exportFilters(filters, now, 30)).toEqual(filters);
  });

  it('reads from the start of the tenant retention to past now when the explorer has no range', () => {
    expect(exportFilters({ project: 'web' }, now, 7)).toEqual({
      project: 'web',
      from: '2026-11-28T09:00:00.000Z',
      to: new Date(now + EXPORT_FUTURE_MARGIN_MS).toISOString(),
    });
    // A fractional retention (the server answers one decimal) is rounded outwards, never inwards.
    expect(exportFilters({}, now, 0.5).from).toBe('2026-12-04T21:00:00.000Z');
  });

  it('falls back to the default retention when the tenant is unknown, and fills only the missing end', () => {
    const filled = exportFilters({ to: '2026-12-03T00:00:00.000Z', from: '' }, now, null);
    expect(filled).toEqual({
      from: new Date(now - EXPORT_FALLBACK_RETENTION_DAYS * 86_400_000).toISOString(),
      to: '2026-12-03T00:00:00.000Z',
    });
    expect(exportFilters({ from: '2026-12-01T00:00:00.000Z' }, now, 0).to).toBe('2026-12-06T09:00:00.000Z');
  });
});
