// POST /v1/retention/query (docs/api.md#retention): the body's rules and the answer in core/retention.ts, the count
// of persons per cohort and period in adapters/postgres/retention-reads.ts.
import type { Principal } from '../../core/api-keys';
import type { Adapters } from '../../adapters';
import {
  parseRetentionQuery,
  retentionAnswer,
  retentionGrid,
  type RetentionAnswer,
  type RetentionReader,
} from '../../core/retention';
import { createRetentionReader } from '../../adapters/postgres/retention-reads';
import { readableProjects } from './scope';

export async function queryRetention(
  deps: Adapters,
  principal: Principal,
  body: unknown,
  reader: RetentionReader = createRetentionReader(deps.sql),
): Promise<RetentionAnswer> {
  const nowMs = deps.now();
  const q = parseRetentionQuery(body, nowMs, await deps.retention.of(principal.tenantId));
  const { zone } = await deps.tenantZones.zoneOf(principal.tenantId);
  const grid = retentionGrid(q, zone);
  const projects = await readableProjects(deps.projects, principal, q.project);
  const cells = await reader.read({
    tenantId: principal.tenantId,
    projectIds: projects.map((p) => p.id).sort(),
    start: q.start,
    ret: q.ret,
    fromMs: q.fromMs,
    toMs: q.toMs,
    grid,
    periods: q.periods,
    breakdown: q.breakdown?.path ?? null,
  });
  return retentionAnswer(q, zone, grid, cells, nowMs);
}
