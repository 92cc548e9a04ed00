import { distinctEventTypes, parseCatalogEventTypes } from './catalog';
import { ShapeError } from './shape';

describe('distinctEventTypes', () => {
  it('returns each event type once, sorted, keeping case-distinct names', () => {
    const events = ['signup', 'Order Completed', 'signup', 'checkout_failed', 'Signup'].map((event_type) => ({
      event_type,
    }));

    const types = distinctEventTypes(events);

    expect(types).toHaveLength(4);
    expect(types.slice().sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))).toEqual(types);
    expect(new Set(types)).toEqual(new Set(['signup', 'Signup', 'Order Completed', 'checkout_failed']));
  });

  it('returns no types for no events', () => {
    expect(distinctEventTypes([])).toEqual([]);
  });
});

describe('parseCatalogEventTypes', () => {
  it('reads the event types of every project of a GET /v1/catalog body', () => {
    const body = {
      projects: [
        { project: 'web', schema_mode: 'open', event_types: [{ event_type: 'signup', count_24h: 3, properties: [] }] },
        {
          project: 'ios',
          schema_mode: 'strict',
          event_types: [{ event_type: 'signup' }, { event_type: 'Order Completed' }],
        },
      ],
    };

    expect(distinctEventTypes(parseCatalogEventTypes(body))).toEqual(['Order Completed', 'signup']);
  });

  it('refuses a body of another shape with a clear error', () => {
    expect(() => parseCatalogEventTypes({ projects: [{ event_types: [{ name: 'x' }] }] })).toThrow(ShapeError);
    expect(() => parseCatalogEventTypes({ event_types: [] })).toThrow('projects is not an array');
  });
});
