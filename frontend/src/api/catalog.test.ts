import { distinctEventTypes } from './catalog';

describe('distinctEventTypes', () => {
  it('returns each event type once, sorted, keeping case-distinct names', () => {
    const events = ['signup', 'Order Completed', 'signup', 'checkout_failed', 'Signup'].map((event_type) => ({ event_type }));

    const types = distinctEventTypes(events);

    expect(types).toHaveLength(4);
    expect(types.slice().sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))).toEqual(types);
    expect(new Set(types)).toEqual(new Set(['signup', 'Signup', 'Order Completed', 'checkout_failed']));
  });

  it('returns no types for no events', () => {
    expect(distinctEventTypes([])).toEqual([]);
  });
});
