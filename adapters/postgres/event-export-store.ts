// The events export's reads (GET /v1/events/export, docs/architecture.md#event-export): the snapshot cutoff taken
// under the tenant's exclusive rollup lock, keyset pages over (ts, event_id) ascending, and the cursor signing key.
import type { Sql } from './client';
import type { EventExportStore, ExportQuery, ExportRow } from '../../core/event-export';
import { lockTenantExclusive } from './rollup-lock';
import { eventTypeCondition, propertyMatch } from './property-filter';

const ISO_US = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/**
 * T such that every event with stored_at <= T is committed and every event committed later has stored_at > T.
 * writeBatch stamps stored_at = clock_timestamp() after taking its tenants' rollup locks shared
 * (adapters/postgres/aggregate-store.ts); holding the lock exclusively waits for every batch in flight to end and keeps
 * new ones out, so a batch that stamped before T has committed, and one that stamps later does so after we release.
 * Sleeping past T before the release keeps a later stamp from equalling T within the clock's microsecond.
 */
export async function exportCutoff(sql: Sql, tenantId: string): Promise<string> {
  return sql.begin(async (tx) => {
    await lockTenantExclusive(tx as unknown as Sql, tenantId);
    const [row] = await tx<{ t: string }[]>`
      select to_char(clock_timestamp() at time zone 'UTC', ${sql.unsafe(ISO_US)}) as t`;
    await tx`select pg_sleep(0.000002)`;
    return row!.t;
  });
}

export async function readExportRows(sql: Sql, q: ExportQuery): Promise<ExportRow[]> {
  const none = sql``;
  // The exact property match only (no containment test), as the explorer does: a page wants the first matches in
  // (ts, event_id) order, which an ordered index scan finds without collecting every match first.
  const propConds = q.props.map(([path, value]) => propertyMatch(sql, sql`e.properties`, path, value));
  const types = eventTypeCondition(sql, q.eventTypes);
  const rows = await sql<
    {
      eventId: string;
      eventType: string;
      project: string;
      tsText: string;
      ts: Date;
      receivedAt: Date;
      userId: string | null;
      sessionId: string | null;
      propertiesJson: string;
      contextJson: string | null;
      anonymousId: string | null;
    }[]
  >`
    select e.event_id as "eventId", e.event_type as "eventType", p.slug as project,
           to_char(e.ts at time zone 'UTC', ${sql.unsafe(ISO_US)}) as "tsText", e.ts, e.received_at as "receivedAt",
           e.user_id as "userId", e.session_id as "sessionId", e.properties::text as "propertiesJson",
           e.context::text as "contextJson", e.anonymous_id as "anonymousId"
    from (
      select * from events e
      where e.tenant_id = ${q.tenantId}
        and e.stored_at <= ${q.cutoff}::timestamptz
        and e.ts >= ${new Date(q.fromMs)} and e.ts < ${new Date(q.untilMs)}
        ${q.after ? sql`and (e.ts, e.event_id) > (${q.after.ts}::timestamptz, ${q.after.eventId})` : none}
        ${q.projectIds ? sql`and e.project_id = any(${sql.array(q.projectIds)}::uuid[])` : none}
        ${types}
        ${q.userId !== null ? sql`and e.user_id = ${q.userId}` : none}
        ${q.sessionId !== null ? sql`and e.session_id = ${q.sessionId}` : none}
        ${propConds.reduce((acc, c) => sql`${acc} ${c}`, none)}
      order by e.ts, e.event_id
      limit ${q.limit}
    ) e
    join projects p on p.tenant_id = e.tenant_id and p.id = e.project_id
    order by e.ts, e.event_id`;
  return rows.map((r) => ({
    eventId: r.eventId,
    eventType: r.eventType,
    project: r.project,
    tsText: r.tsText,
    timestamp: r.ts.toISOString(),
    receivedAt: r.receivedAt.toISOString(),
    userId: r.userId,
    sessionId: r.sessionId,
    propertiesJson: r.propertiesJson,
    contextJson: r.contextJson,
    anonymousId: r.anonymousId,
  }));
}

/** The deployment's cursor key (migration 017), read once per process. */
export async function readCursorKey(sql: Sql): Promise<Buffer> {
  const [row] = await sql<{ key: Buffer }[]>`select key from server_keys where name = 'export_cursor'`;
  if (!row) throw new Error('server_keys has no export_cursor key; run the migrations');
  return row.key;
}

export function createEventExportStore(sql: Sql): EventExportStore {
  let key: Promise<Buffer> | undefined;
  return {
    cutoff: (tenantId) => exportCutoff(sql, tenantId),
    read: (q) => readExportRows(sql, q),
    cursorKey: () => {
      key ??= readCursorKey(sql).catch((e: unknown) => {
        key = undefined; // a failed read is retried by the next request
        throw e;
      });
      return key;
    },
  };
}
