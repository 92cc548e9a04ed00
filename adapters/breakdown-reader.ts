// The read behind breakdowns of GET /v1/metrics (docs/api.md#breakdowns): the dimension rollups when
// core/breakdown.ts breakdownSource allows it for every bucket read, else raw events within the raw retention and
// the scan budget. One source answers the whole query, never a mix.
import { breakdownSource, checkBreakdownReach, type BreakdownReader, type BreakdownRequest } from '../core/breakdown';
import type { Sql } from './postgres/client';
import { readRawBreakdown, readRollupBreakdown } from './postgres/breakdown-reads';
import { readDimensionDeclarations } from './postgres/dimension-store';
import type { RollupCache } from './redis/rollup-cache';

/** `cache`: where rollup breakdowns keep their checked rankings and parts (adapters/postgres/breakdown-reads.ts). */
export function createBreakdownReader(sql: Sql, opts: { maxRawRows: number }, cache: RollupCache): BreakdownReader {
  return {
    async read(r: BreakdownRequest) {
      const declared = await readDimensionDeclarations(sql, r);
      const firstBucketMs = Math.min(...r.ranges.map((x) => x.buckets[0] ?? x.fromMs));
      if (breakdownSource({ ...r, firstBucketMs }, declared) === 'rollup') {
        const ids = declared.filter((d) => d.dimension === r.breakdown[0]).map((d) => d.id);
        return readRollupBreakdown(sql, r, ids, cache);
      }
      checkBreakdownReach(r.query, r.breakdown, r.retentionMs, r.nowMs);
      return readRawBreakdown(sql, r, opts.maxRawRows);
    },
  };
}
