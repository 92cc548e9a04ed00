import { lazyHandler } from './process-adapters';

describe('lazyHandler', () => {
  it('builds the handler once, on the first invocation, after the config is loaded', async () => {
    const make = jest.fn(() => async (event: number) => event * 2);
    const handler = lazyHandler(make);
    expect(make).not.toHaveBeenCalled();
    await expect(Promise.all([handler(1, {}), handler(2, {})])).resolves.toEqual([2, 4]);
    await expect(handler(3, {})).resolves.toBe(6);
    expect(make).toHaveBeenCalledTimes(1);
  });
});
