// Finds the records that fail on their own by splitting a failing batch in halves (docs/architecture.md#rule-3-offsets-move-only-after-the-effect). Pure.

export interface RecordFailure<R> {
  record: R;
  error: unknown;
}

export interface Isolation<R, T> {
  /** What `process` returned for every part that succeeded, in record order. */
  results: T[];
  /** The single records that failed with a record-level error when processed alone, in record order. */
  failures: RecordFailure<R>[];
}

/**
 * Processes `records`; when that fails with an error `isRecordLevel` accepts, processes each half the same way,
 * down to single records, so everything but the failing records is processed. A part is processed as a whole
 * or not at all (one transaction), so the healthy parts' effects stand; they must be idempotent, since the
 * whole batch may come again. Any other error is rethrown at once: infrastructure is nobody's fault, and the
 * caller retries the whole batch. With k failing records among n this costs about 2·k·log2(n) calls.
 */
export async function isolateFailures<R, T>(
  records: readonly R[],
  process: (part: R[]) => Promise<T>,
  isRecordLevel: (error: unknown) => boolean,
): Promise<Isolation<R, T>> {
  const results: T[] = [];
  const failures: RecordFailure<R>[] = [];
  async function run(part: R[]): Promise<void> {
    if (part.length === 0) return;
    try {
      results.push(await process(part));
      return;
    } catch (error) {
      if (!isRecordLevel(error)) throw error;
      if (part.length === 1) {
        failures.push({ record: part[0]!, error });
        return;
      }
    }
    // In order, so that within a batch the first copy of an event is still processed first.
    const middle = Math.ceil(part.length / 2);
    await run(part.slice(0, middle));
    await run(part.slice(middle));
  }
  await run([...records]);
  return { results, failures };
}
