import { filtersFromParams, filtersToQuery, filtersToRouteParams, isoToLocalInput, localInputToIso } from './filters';

describe('explorer filters', () => {
  it('round-trip between the route and GET /v1/events parameters', () => {
    const params = new URLSearchParams(
      'event_type=signup&event_type=Order+Completed&project=web&user_id=u1&from=2026-11-27T10:00:00.000Z&prop.plan=pro&prop.cart.currency=EUR',
    );

    const filters = filtersFromParams(params);

    expect(filters).toEqual({
      eventTypes: ['signup', 'Order Completed'],
      project: 'web',
      userId: 'u1',
      sessionId: '',
      from: '2026-11-27T10:00:00.000Z',
      to: '',
      props: [
        ['plan', 'pro'],
        ['cart.currency', 'EUR'],
      ],
    });
    expect(filtersToQuery(filters)).toEqual({
      event_type: ['signup', 'Order Completed'],
      project: 'web',
      user_id: 'u1',
      session_id: undefined,
      from: '2026-11-27T10:00:00.000Z',
      to: undefined,
      'prop.plan': 'pro',
      'prop.cart.currency': 'EUR',
    });
    expect(filtersToRouteParams(filters)).toEqual({
      event_type: ['signup', 'Order Completed'],
      project: 'web',
      user_id: 'u1',
      from: '2026-11-27T10:00:00.000Z',
      'prop.plan': 'pro',
      'prop.cart.currency': 'EUR',
    });
  });

  it('reads datetime-local values as UTC', () => {
    expect(localInputToIso('2026-11-27T10:05')).toBe('2026-11-27T10:05:00.000Z');
    expect(localInputToIso('')).toBe('');
    expect(isoToLocalInput('2026-11-27T10:05:07.000Z')).toBe('2026-11-27T10:05:07');
  });

  it('reads and shows datetime-local values on the tenant zone’s wall clock', () => {
    expect(localInputToIso('2026-11-27T11:05', 'Europe/Berlin')).toBe('2026-11-27T10:05:00.000Z');
    expect(isoToLocalInput('2026-11-27T10:05:07.000Z', 'America/New_York')).toBe('2026-11-27T05:05:07');
    expect(isoToLocalInput('2026-07-01T10:00:00.000Z', 'America/New_York')).toBe('2026-07-01T06:00:00');
    expect(localInputToIso('2026-07-01T06:00:00', 'America/New_York')).toBe('2026-07-01T10:00:00.000Z');
  });
});
