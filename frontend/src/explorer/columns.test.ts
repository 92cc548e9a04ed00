import { cellText, distinctEvents, propertyColumns, totalLabel } from './columns';

describe('property columns', () => {
  it('are the most common top-level properties, ties by name, at most max', () => {
    const events = [
      { properties: { plan: 'pro', step: 1 } },
      { properties: { plan: 'free', b: true } },
      { properties: { a: null, step: 2, plan: 'pro' } },
    ];
    expect(propertyColumns(events)).toEqual(['plan', 'step', 'a', 'b']);
    expect(propertyColumns(events, 2)).toEqual(['plan', 'step']);
    expect(propertyColumns([])).toEqual([]);
  });

  it('show strings as they are, other values as JSON, and tell a missing property from null', () => {
    expect(cellText({ plan: 'pro' }, 'plan')).toBe('pro');
    expect(cellText({ n: 2, o: { a: [1] }, z: null }, 'o')).toBe('{"a":[1]}');
    expect(cellText({ z: null }, 'z')).toBe('null');
    expect(cellText({}, 'plan')).toBeNull();
    expect(cellText({}, 'toString')).toBeNull();
  });
});

describe('totalLabel', () => {
  it('says the count, or that counting stopped at the cap', () => {
    const f = (n: number) => String(n);
    expect(totalLabel({ count: 1, capped: false }, f)).toBe('1 event');
    expect(totalLabel({ count: 27, capped: false }, f)).toBe('27 events');
    expect(totalLabel({ count: 5000, capped: true }, f)).toBe('more than 5000 events');
  });
});

describe('distinct events of pages', () => {
  it('keeps page order and the first of an event a later page repeats', () => {
    const e = (event_id: string, page: number) => ({ event_id, page });
    expect(
      distinctEvents([{ events: [e('a', 1), e('b', 1)] }, { events: [e('b', 2), e('c', 2)] }, { events: [] }]),
    ).toEqual([e('a', 1), e('b', 1), e('c', 2)]);
    expect(distinctEvents([])).toEqual([]);
  });
});
