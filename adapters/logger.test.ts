// Log context per invocation: keys added in one async context never reach the lines of another running at once.
import { captureOutput, parseLogLine } from '../test/capture-output';
import { appendLogKeys, lambdaContextKeys, logger, processLogger, withLogContext } from './logger';

const lines: Record<string, unknown>[] = [];
let stopCapture: () => void;

beforeAll(() => {
  stopCapture = captureOutput((line) => {
    const parsed = parseLogLine(line);
    if (parsed) lines.push(parsed);
  });
});
afterAll(() => stopCapture());
beforeEach(() => (lines.length = 0));

const line = (message: string) => lines.find((l) => l.message === message)!;
const tick = () => new Promise((r) => setTimeout(r, 5));

it("keeps each context's keys to its own lines while contexts run interleaved", async () => {
  const request = withLogContext({ request_id: 'r1', route: 'POST /v1/events' }, async () => {
    await tick();
    appendLogKeys({ tenant_id: 't1' });
    await tick();
    await tick();
    logger.warn('request line');
  });
  const batch = withLogContext({ consumer_group: 'aggregate' }, async () => {
    await tick();
    await tick();
    logger.warn('batch line', { partition: 2 });
  });
  await Promise.all([request, batch]);
  logger.warn('outside line');

  expect(line('request line')).toMatchObject({ request_id: 'r1', route: 'POST /v1/events', tenant_id: 't1' });
  expect(line('request line')).not.toHaveProperty('consumer_group');
  expect(line('batch line')).toMatchObject({ consumer_group: 'aggregate', partition: 2 });
  for (const k of ['request_id', 'route', 'tenant_id']) expect(line('batch line')).not.toHaveProperty(k);
  expect(
    Object.keys(line('outside line')).filter((k) => ['request_id', 'tenant_id', 'consumer_group'].includes(k)),
  ).toEqual([]);
});

it("gives a nested context its parent's keys, and keeps what it appends from the parent", async () => {
  await withLogContext({ function_name: 'query' }, async () => {
    await withLogContext({ request_id: 'r2' }, async () => {
      appendLogKeys({ tenant_id: 't2' });
      logger.warn('inner line');
    });
    logger.warn('outer line');
  });
  expect(line('inner line')).toMatchObject({ function_name: 'query', request_id: 'r2', tenant_id: 't2' });
  expect(line('outer line')).toMatchObject({ function_name: 'query' });
  expect(line('outer line')).not.toHaveProperty('request_id');
  expect(line('outer line')).not.toHaveProperty('tenant_id');
});

it('lets a line state a key itself, appends nothing outside a context, and processLogger ignores the context', async () => {
  appendLogKeys({ tenant_id: 'nobody' });
  logger.warn('no context');
  await withLogContext({ topic: 'from-context' }, async () => {
    logger.warn('explicit', { topic: 'from-line' });
    processLogger.warn('process line');
  });
  expect(line('no context')).not.toHaveProperty('tenant_id');
  expect(line('explicit')).toMatchObject({ topic: 'from-line' });
  expect(line('process line')).not.toHaveProperty('topic');
});

it('writes the Lambda context keys Powertools wrote, and none without a request id', () => {
  const keys = lambdaContextKeys({
    awsRequestId: 'req',
    functionName: 'ingest',
    invokedFunctionArn: 'arn',
    memoryLimitInMB: '512',
  });
  expect(keys).toMatchObject({
    function_request_id: 'req',
    function_name: 'ingest',
    function_arn: 'arn',
    function_memory_size: '512',
  });
  expect(typeof keys.cold_start).toBe('boolean');
  expect(lambdaContextKeys({})).toEqual({});
  expect(lambdaContextKeys(undefined)).toEqual({});
});
