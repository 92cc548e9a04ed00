import { isolateFailures } from './isolate-failures';

class DataError extends Error {
  override name = 'DataError';
}
class DownError extends Error {
  override name = 'DownError';
}
const isRecordLevel = (e: unknown) => e instanceof DataError;

/** A fake "transaction": fails as a whole when any record in the part is poison; else records what it stored. */
function fakeProcess(poison: Set<number>, opts: { downAfterCalls?: number } = {}) {
  const stored: number[] = [];
  const calls: number[][] = [];
  const process = async (part: number[]) => {
    calls.push(part);
    if (opts.downAfterCalls !== undefined && calls.length > opts.downAfterCalls)
      throw new DownError('database unreachable');
    const bad = part.find((r) => poison.has(r));
    if (bad !== undefined) throw new DataError(`record ${bad} is poison`);
    stored.push(...part);
    return part.length;
  };
  return { process, stored, calls };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('isolateFailures', () => {
  it('processes a healthy batch in one call', async () => {
    const f = fakeProcess(new Set());
    const result = await isolateFailures(range(10), f.process, isRecordLevel);
    expect(result).toEqual({ results: [10], failures: [] });
    expect(f.calls).toHaveLength(1);
  });

  it('finds the one failing record by halving and processes everything else, in order', async () => {
    // Prepare
    const f = fakeProcess(new Set([37]));

    // Act
    const result = await isolateFailures(range(100), f.process, isRecordLevel);

    // Assess
    expect(result.failures).toEqual([{ record: 37, error: expect.any(DataError) }]);
    expect(f.stored).toEqual(range(100).filter((r) => r !== 37));
    expect(result.results.reduce((a, b) => a + b, 0)).toBe(99);
    expect(f.calls.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(100)) + 1);
  });

  it('finds several failing records, including the first and the last', async () => {
    const f = fakeProcess(new Set([0, 5, 6, 63]));
    const result = await isolateFailures(range(64), f.process, isRecordLevel);
    expect(result.failures.map((x) => x.record)).toEqual([0, 5, 6, 63]);
    expect(f.stored).toEqual(range(64).filter((r) => ![0, 5, 6, 63].includes(r)));
  });

  it('reports a single failing record without splitting, and every record when all fail', async () => {
    expect(
      (await isolateFailures([7], fakeProcess(new Set([7])).process, isRecordLevel)).failures.map((x) => x.record),
    ).toEqual([7]);
    const all = fakeProcess(new Set(range(5)));
    const result = await isolateFailures(range(5), all.process, isRecordLevel);
    expect(result.failures.map((x) => x.record)).toEqual(range(5));
    expect(all.calls).toHaveLength(9); // every node of the split tree: 2n − 1
  });

  it('rethrows any other error at once, also in the middle of isolating, without blaming a record', async () => {
    const f = fakeProcess(new Set([3]), { downAfterCalls: 2 });
    await expect(isolateFailures(range(8), f.process, isRecordLevel)).rejects.toThrow(DownError);
    const down = fakeProcess(new Set(), { downAfterCalls: 0 });
    await expect(isolateFailures(range(8), down.process, isRecordLevel)).rejects.toThrow('database unreachable');
    expect(down.calls).toHaveLength(1);
  });

  it('does not call process for an empty batch', async () => {
    const f = fakeProcess(new Set());
    expect(await isolateFailures([], f.process, isRecordLevel)).toEqual({ results: [], failures: [] });
    expect(f.calls).toHaveLength(0);
  });
});
