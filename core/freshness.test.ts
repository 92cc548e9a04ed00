import { advanceFreshness, dataAsOf, INITIAL_FRESHNESS, lagMs, partitionLags, type GroupReading } from './freshness';

const reading = (
  atMs: number,
  high: number[],
  committed: (number | undefined)[],
  low: number[] = high.map(() => 0),
): GroupReading => ({
  atMs,
  low: Object.fromEntries(low.map((o, p) => [p, o])),
  high: Object.fromEntries(high.map((o, p) => [p, o])),
  committed: Object.fromEntries(committed.flatMap((o, p) => (o === undefined ? [] : [[p, o]]))),
});

describe('consumer lag per partition', () => {
  it('is the distance from the committed offset to the high watermark', () => {
    expect(partitionLags(reading(0, [10, 5, 0], [7, 5, undefined]))).toEqual([
      { partition: 0, high: 10, committed: 7, lag: 3 },
      { partition: 1, high: 5, committed: 5, lag: 0 },
      { partition: 2, high: 0, committed: 0, lag: 0 },
    ]);
  });

  it('counts a partition without commits from its low watermark (records before it are gone)', () => {
    expect(partitionLags(reading(0, [10], [-1], [4]))[0]).toEqual({ partition: 0, high: 10, committed: 4, lag: 6 });
  });
});

describe('caught_up_through', () => {
  it('publishes the check time when the group is at the watermarks read at that time', () => {
    const s = advanceFreshness(INITIAL_FRESHNESS, reading(1_000, [10, 3], [10, 3]));
    expect(s).toMatchObject({ caughtUpThroughMs: 1_000, checkedAtMs: 1_000, caughtUpAtCheck: true, pending: null });
  });

  it('treats empty partitions without commits as caught up', () => {
    expect(advanceFreshness(INITIAL_FRESHNESS, reading(1_000, [0, 0, 0], [])).caughtUpThroughMs).toBe(1_000);
  });

  it('publishes nothing while behind, then the earlier check time once the group reaches its watermarks', () => {
    // Prepare: behind at t=1000 on partition 1.
    const behind = advanceFreshness(INITIAL_FRESHNESS, reading(1_000, [10, 3], [10, 1]));
    expect(behind).toMatchObject({
      caughtUpThroughMs: null,
      caughtUpAtCheck: false,
      pending: { atMs: 1_000, high: { 0: 10, 1: 3 } },
    });

    // Act: at t=2000 new events arrived (high 12), the group passed the old watermarks but not the new ones.
    const later = advanceFreshness(behind, reading(2_000, [12, 3], [11, 3]));

    // Assess: sound — everything acknowledged before 1000 was below (10, 3) and is processed; 2000 is not vouched for.
    expect(later.caughtUpThroughMs).toBe(1_000);
    expect(later.caughtUpAtCheck).toBe(false);
    expect(later.pending).toEqual({ atMs: 2_000, high: { 0: 12, 1: 3 } });
  });

  it('keeps an unreached snapshot instead of replacing it every check (a never-idle group still advances)', () => {
    let s = advanceFreshness(INITIAL_FRESHNESS, reading(1_000, [10], [5]));
    s = advanceFreshness(s, reading(2_000, [20], [8]));
    expect(s.pending).toEqual({ atMs: 1_000, high: { 0: 10 } });
    s = advanceFreshness(s, reading(3_000, [30], [15]));
    expect(s.caughtUpThroughMs).toBe(1_000);
    expect(s.pending).toEqual({ atMs: 3_000, high: { 0: 30 } });
  });

  it('never moves back', () => {
    const s = advanceFreshness({ ...INITIAL_FRESHNESS, caughtUpThroughMs: 5_000 }, reading(4_000, [1], [1]));
    expect(s.caughtUpThroughMs).toBe(5_000);
  });

  it('is not published for a partition the group has not reached, whatever the others say', () => {
    const s = advanceFreshness(INITIAL_FRESHNESS, reading(1_000, [10, 10, 10], [10, 10, 9]));
    expect(s.caughtUpThroughMs).toBeNull();
  });
});

describe('data_as_of and lag_ms', () => {
  it('is the later of the tenant’s own progress and the pipeline’s caught-up time', () => {
    expect(dataAsOf(null, null)).toBeNull();
    expect(dataAsOf(5, null)).toBe(5);
    expect(dataAsOf(null, 7)).toBe(7);
    expect(dataAsOf(5, 7)).toBe(7);
    expect(dataAsOf(9, 7)).toBe(9);
  });

  it('lag_ms is 0 while the newest (recent) check found the group caught up, else now − data_as_of', () => {
    expect(lagMs(10_000, 4_000, { checkedAtMs: 9_000, caughtUpAtCheck: true }, 30_000)).toBe(0);
    expect(lagMs(10_000, 4_000, { checkedAtMs: 9_000, caughtUpAtCheck: false }, 30_000)).toBe(6_000);
    expect(lagMs(100_000, 4_000, { checkedAtMs: 9_000, caughtUpAtCheck: true }, 30_000)).toBe(96_000); // the check is stale
    expect(lagMs(10_000, null, { checkedAtMs: null, caughtUpAtCheck: false }, 30_000)).toBeNull();
    expect(lagMs(10_000, 12_000, { checkedAtMs: null, caughtUpAtCheck: false }, 30_000)).toBe(0);
  });
});
