// Event explorer reads (GET /v1/events): keyset pages over (ts desc, event_id desc), pinned to the moment of the first
// page; with property filters, scanned in time windows within a time budget.
import type { Sql } from './client';
import type { ExplorerCursor } from '../../core/cursor';
import { eventTypeCondition, propertyMatch } from './property-filter';
import { exportCutoff } from './event-export-store';
import type { StoredEventFields } from '../../core/stored-event';

export interface ExplorerQuery {
  tenantId: string;
  /** null: every project of the tenant. */
  projectIds: string[] | null;
  eventTypes: string[];
  userId?: string;
  sessionId?: string;
  fromMs?: number;
  toMs?: number;
  /** Equality on nested properties: [["plan","tier"], "pro"]. */
  props: [string[], string][];
  limit: number;
  cursor?: ExplorerCursor;
}

export interface ExplorerRow extends StoredEventFields {
  project: string;
  timestamp: Date;
}

export async function listEvents(sql: Sql, q: ExplorerQuery, pinnedAt: string): Promise<ExplorerRow[]> {
  const none = sql``;
  // The exact text match only (no containment test): a page wants the newest matches, which an ordered index scan
  // finds after a few rows; a GIN bitmap would collect every match first and sort them.
  const propConds = q.props.map(([path, value]) => propertyMatch(sql, sql`e.properties`, path, value));
  const types = eventTypeCondition(sql, q.eventTypes);
  // ORDER BY + LIMIT on the events alone, the project join after: with the join inside, the planner's (low)
  // estimate for property filters makes it scan every event of the type and sort; alone, it walks an index
  // backwards ((tenant, event_type, ts) or the primary key) and stops at the page's last row.
  return sql<ExplorerRow[]>`
    select e.event_id as "eventId", e.event_type as "eventType", p.slug as project, e.ts as timestamp,
           e.received_at as "receivedAt", e.user_id as "userId", e.anonymous_id as "anonymousId", e.session_id as "sessionId",
           e.properties, e.context
    from (
      select * from events e
      where e.tenant_id = ${q.tenantId}
        and e.stored_at <= ${pinnedAt}::timestamptz
        ${q.projectIds ? sql`and e.project_id = any(${sql.array(q.projectIds)}::uuid[])` : none}
        ${types}
        ${q.userId !== undefined ? sql`and e.user_id = ${q.userId}` : none}
        ${q.sessionId !== undefined ? sql`and e.session_id = ${q.sessionId}` : none}
        ${q.fromMs !== undefined ? sql`and e.ts >= ${new Date(q.fromMs)}` : none}
        ${q.toMs !== undefined ? sql`and e.ts < ${new Date(q.toMs)}` : none}
        ${q.cursor ? sql`and (e.ts, e.event_id) < (${q.cursor.lastTimestamp}::timestamptz, ${q.cursor.lastEventId})` : none}
        ${propConds.reduce((acc, c) => sql`${acc} ${c}`, none)}
      order by e.ts desc, e.event_id desc
      limit ${q.limit}
    ) e
    join projects p on p.tenant_id = e.tenant_id and p.id = e.project_id
    order by e.ts desc, e.event_id desc`;
}

export interface EventsExplorer {
  /**
   * The moment a first page pins: later pages see only events stored by then. The export's exact cutoff
   * (docs/architecture.md#event-export): every event stored by it is committed, every later one is stamped after it.
   */
  pinMoment(tenantId: string): Promise<string>;
  /**
   * One page of `q`, newest first. `resumeBelowMs` is set when a scan stopped short of a full page (its time budget
   * ran out): the next page goes on below that time.
   */
  page(
    q: ExplorerQuery,
    pinnedAt: string,
    nowMs: number,
  ): Promise<{ rows: ExplorerRow[]; resumeBelowMs: number | null }>;
}

export interface ExplorerLimits {
  /** How far in the future an event may be stamped, and how long raw events are kept (the range a scan covers). */
  maxFutureSkewMs: number;
  retentionMs: number;
  /** EXPLORER_SCAN_BUDGET: how long one page may scan windows before it answers what it found. */
  scanBudgetMs: number;
}

export function createEventsExplorer(sql: Sql, limits: ExplorerLimits): EventsExplorer {
  return {
    pinMoment: (tenantId) => exportCutoff(sql, tenantId),
    async page(q, pinnedAt, nowMs) {
      if (q.props.length > 0 && q.userId === undefined && q.sessionId === undefined)
        return scanInWindows(sql, limits, q, pinnedAt, nowMs);
      return { rows: await listEvents(sql, q, pinnedAt), resumeBelowMs: null };
    },
  };
}

const HOUR = 3_600_000;

/**
 * Property filters cannot use an index, and a value that matches nothing would walk the whole history of the type:
 * scan time windows instead, newest first (an hour, then each reaching 4× as far back), until the page is full, the range is
 * done, or EXPLORER_SCAN_BUDGET has passed — then answer the rows found so far with a cursor below the last window
 * scanned. Windows partition time, so every event still appears exactly once across the pages.
 */
async function scanInWindows(
  sql: Sql,
  limits: ExplorerLimits,
  q: ExplorerQuery,
  pinnedAt: string,
  now: number,
): Promise<{ rows: ExplorerRow[]; resumeBelowMs: number | null }> {
  const started = performance.now();
  let hi = Math.min(
    q.toMs ?? Infinity,
    q.cursor ? Date.parse(q.cursor.lastTimestamp) + 1 : Infinity,
    now + limits.maxFutureSkewMs + 1,
  );
  const lo = q.fromMs ?? now - limits.retentionMs - 86_400_000;
  const rows: ExplorerRow[] = [];
  while (hi > lo) {
    // Each window reaches 4× as far back from now as the one before (at least an hour): a few windows cover the
    // whole retention, and a page that resumes from a cursor goes on at the same pace.
    const from = Math.max(lo, hi - Math.max(HOUR, 3 * (now - hi)));
    rows.push(...(await listEvents(sql, { ...q, fromMs: from, toMs: hi, limit: q.limit - rows.length }, pinnedAt)));
    hi = from;
    if (rows.length >= q.limit) return { rows, resumeBelowMs: null };
    if (hi > lo && performance.now() - started >= limits.scanBudgetMs) return { rows, resumeBelowMs: hi };
  }
  return { rows, resumeBelowMs: null };
}
