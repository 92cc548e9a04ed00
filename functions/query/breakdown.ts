// GET /v1/metrics?breakdown=<path> (docs/api.md#breakdowns): the total points plus one series per value of the
// property, `$other` and `$none`. The rules (source choice, ordering, how parts make series and points) live in
// core/breakdown.ts, the reads in adapters/breakdown-reader.ts, the fields every answer shares (with metrics.ts) in
// metric-answer.ts.
import type { Principal } from '../../core/api-keys';
import { bucketsIn, UTC_ZONE } from '../../core/timezone';
import {
  pointsFromParts,
  seriesOf,
  type Breakdown,
  type BreakdownData,
  type BreakdownParts,
  type BreakdownRange,
} from '../../core/breakdown';
import { coveredSpan, emptyValue, metricPoints, type MetricsQuery, type MetricValue } from '../../core/metric-query';
import type { Adapters } from '../../adapters';
import {
  answerHead,
  comparedRange,
  iso,
  isoPoints,
  previousAnswer,
  startDataAsOf,
  type AnswerPoint,
  type PreviousAnswer,
} from './metric-answer';
import { readableProjects } from './scope';
import { serializeOnce } from '../http/json-text';

export async function readBreakdown(deps: Adapters, principal: Principal, q: MetricsQuery & { breakdown: Breakdown }) {
  const asOf = startDataAsOf(deps, principal.tenantId);
  const projects = await readableProjects(deps.projects, principal, q.project);
  const projectIds = projects.map((p) => p.id).sort();
  const rangeOf = (r: { fromMs: number; toMs: number }): BreakdownRange => {
    // 1h/1d buckets are the tenant's local hours and days (docs/api.md#time-zones), as stored and as the raw read
    // groups them.
    const buckets = bucketsIn(q.zone ?? UTC_ZONE).range(r.fromMs, r.toMs, q.interval);
    return { buckets, ...coveredSpan(buckets, { ...r, interval: q.interval, zone: q.zone }) };
  };
  const prev = comparedRange(q);
  const ranges = [rangeOf(q), ...(prev ? [rangeOf(prev)] : [])];
  const data: BreakdownData =
    projectIds.length === 0
      ? { source: 'raw', top: [], ranges: ranges.map(() => ({ buckets: new Map(), totals: new Map() })) }
      : await deps.breakdowns.read({
          tenantId: principal.tenantId,
          projectIds,
          eventType: q.eventType,
          kind: q.kind,
          path: q.path,
          props: q.props,
          interval: q.interval,
          breakdown: q.breakdown.path,
          limit: q.breakdown.limit,
          ranges,
          query: { fromMs: q.fromMs, toMs: q.toMs, interval: q.interval, compare: q.compare ?? null, zone: q.zone },
          retentionMs: await deps.retention.of(principal.tenantId),
          nowMs: deps.now(),
        });
  const body = await answerBody(deps, principal.tenantId, q, projectIds, data, ranges, prev);
  return {
    ...(await answerHead(q, asOf, body.points, body.previous)),
    breakdown: q.breakdown.path.join('.'),
    source: data.source,
    series: body.series,
  };
}

type SeriesAnswer = { value: string; total: MetricValue; points: AnswerPoint[]; previous?: PreviousAnswer };
type AnswerBody = { points: AnswerPoint[]; previous: PreviousAnswer | null; series: SeriesAnswer[] };

/**
 * The answers made of each checked rollup entry, by their query's shape (metric, interval, zone, range, comparison).
 * The rollup reader gives the very same BreakdownData while its versions are unchanged (adapters/postgres/
 * breakdown-reads.ts, checkedRead), so an answer made of it stays exact as long as it does, and goes with it. Their
 * points and series are made and serialized once (serializeOnce), never changed after.
 */
const bodies = new WeakMap<BreakdownData, Map<string, AnswerBody>>();
const BODIES_PER_ENTRY = 4;

async function answerBody(
  deps: Adapters,
  tenantId: string,
  q: MetricsQuery & { breakdown: Breakdown },
  projectIds: string[],
  data: BreakdownData,
  ranges: BreakdownRange[],
  prev: { fromMs: number; toMs: number } | null,
): Promise<AnswerBody> {
  // unique_users totals are read apart from the parts (below): never kept.
  const keep = data.source === 'rollup' && q.kind !== 'unique_users';
  const shape = `${q.metric}|${q.interval}|${q.zone ?? UTC_ZONE}|${q.fromMs}|${q.toMs}|${q.compare ?? ''}`;
  const known = keep ? bodies.get(data)?.get(shape) : undefined;
  if (known) return known;
  const empty = emptyValue(q.kind);
  // Totals: from the parts (every event of a bucket is in one series, so Σ series = points exactly), except unique
  // users, which do not add up across series (a user can be in several): their total is the metric's own read.
  const totalOf = async (parts: BreakdownParts, range: BreakdownRange, r: { fromMs: number; toMs: number }) =>
    q.kind === 'unique_users'
      ? metricPoints(deps.metrics, { ...q, ...r }, tenantId, projectIds)
      : pointsFromParts(q.kind, parts, range.buckets, empty);
  const points = isoPoints(await totalOf(data.ranges[0]!, ranges[0]!, q));
  const main = seriesOf(q.kind, data.top, data.ranges[0]!, ranges[0]!.buckets, empty);
  let previous: PreviousAnswer | null = null;
  const previousOf = new Map<string, AnswerPoint[]>();
  if (prev) {
    const parts = data.ranges[1]!;
    previous = previousAnswer(prev, isoPoints(await totalOf(parts, ranges[1]!, prev)));
    // The same series values over the previous range: the set and order are the main range's.
    // (names already holds $other/$none when shown: without totals seriesOf adds nothing after them).
    const names = main.map((s) => s.value);
    for (const s of seriesOf(q.kind, names, { buckets: parts.buckets, totals: new Map() }, ranges[1]!.buckets, empty))
      previousOf.set(s.value, isoPoints(s.points));
  }
  // Every series has the same buckets: each bucket's ISO text is made once, not once per series.
  const isoOf = new Map(ranges[0]!.buckets.map((t) => [t, iso(t)]));
  const seriesPoints = (ps: { t: number; value: MetricValue }[]): AnswerPoint[] =>
    ps.map((p) => ({ t: isoOf.get(p.t) ?? iso(p.t), value: p.value }));
  const body: AnswerBody = {
    points,
    previous,
    series: main.map((s) => ({
      value: s.value,
      total: s.total,
      points: seriesPoints(s.points),
      ...(prev ? { previous: previousAnswer(prev, previousOf.get(s.value)!) } : {}),
    })),
  };
  if (!keep) return body;
  const made: AnswerBody = {
    points: serializeOnce(body.points),
    previous: body.previous && serializeOnce(body.previous),
    series: serializeOnce(body.series),
  };
  const shapes = bodies.get(data) ?? bodies.set(data, new Map()).get(data)!;
  if (shapes.size >= BODIES_PER_ENTRY) shapes.delete(shapes.keys().next().value!);
  shapes.set(shape, made);
  return made;
}
