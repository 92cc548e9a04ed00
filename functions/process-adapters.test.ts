import { lazyHandler } from './process-adapters';
import { logger } from '../adapters/logger';
import { captureOutput, parseLogLine } from '../test/capture-output';

describe('lazyHandler', () => {
  it('builds the handler once, on the first invocation, after the config is loaded', async () => {
    const make = jest.fn(() => async (event: number) => event * 2);
    const handler = lazyHandler(make);
    expect(make).not.toHaveBeenCalled();
    await expect(Promise.all([handler(1, {}), handler(2, {})])).resolves.toEqual([2, 4]);
    await expect(handler(3, {})).resolves.toBe(6);
    expect(make).toHaveBeenCalledTimes(1);
  });

  it("runs each invocation in its own log context, with its Lambda context's keys", async () => {
    const lines: Record<string, unknown>[] = [];
    const stop = captureOutput((line) => {
      const parsed = parseLogLine(line);
      if (parsed?.message === 'invocation line') lines.push(parsed);
    });
    try {
      const handler = lazyHandler(() => async (event: number) => {
        await new Promise((r) => setTimeout(r, 10 - event));
        logger.warn('invocation line', { event });
      });
      const context = (id: string) => ({
        awsRequestId: id,
        functionName: 'aggregate',
        invokedFunctionArn: 'arn',
        memoryLimitInMB: '512',
      });
      await Promise.all([handler(1, context('req-1')), handler(2, context('req-2'))]);
    } finally {
      stop();
    }
    expect(lines.map((l) => [l.event, l.function_request_id, l.function_name]).sort()).toEqual([
      [1, 'req-1', 'aggregate'],
      [2, 'req-2', 'aggregate'],
    ]);
  });
});
