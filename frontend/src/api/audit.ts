// GET /v1/audit-log (docs/api.md#audit-log): who changed what, when, newest first, one page at a time.
import { infiniteQueryOptions } from '@tanstack/react-query';
import type { Session } from '../auth/session';
import type { getAuditLog } from '../../../functions/query/audit-log';
import type { ApiClient } from './client';
import { expectArray, expectObject, expectString, optionalString, ShapeError } from './shape';

/** The body of GET /v1/audit-log, derived from its handler (types only: nothing of the backend is bundled). */
export type AuditPage = Awaited<ReturnType<typeof getAuditLog>>;
export type AuditEntry = AuditPage['entries'][number];
export type AuditActor = AuditEntry['actor'];

/** The filters the screen offers (the API takes more: actor, target, from, to). */
export interface AuditFilters {
  /** One action, or a prefix ending with a dot (`dashboard.`). */
  action?: string;
}

const ACTOR_KINDS: readonly AuditActor['kind'][] = ['user', 'api_key', 'system'];

function stateOf(value: unknown, what: string): Record<string, unknown> | null {
  return value === null || value === undefined ? null : expectObject(value, what);
}

export function parseAuditPage(body: unknown): AuditPage {
  const o = expectObject(body, 'response');
  const entries = expectArray(o.entries, 'entries').map((item, i): AuditEntry => {
    const what = `entries[${i}]`;
    const e = expectObject(item, what);
    const actor = expectObject(e.actor, `${what}.actor`);
    const kind = expectString(actor.kind, `${what}.actor.kind`);
    if (!(ACTOR_KINDS as readonly string[]).includes(kind)) throw new ShapeError(`${what}.actor.kind is unknown`);
    const email = optionalString(actor.email, `${what}.actor.email`);
    return {
      id: expectString(e.id, `${what}.id`),
      at: expectString(e.at, `${what}.at`),
      actor: {
        kind: kind as AuditActor['kind'],
        id: expectString(actor.id, `${what}.actor.id`),
        ...(email ? { email } : {}),
      },
      action: expectString(e.action, `${what}.action`) as AuditEntry['action'],
      target: optionalString(e.target, `${what}.target`),
      before: stateOf(e.before, `${what}.before`),
      after: stateOf(e.after, `${what}.after`),
    };
  });
  return { entries, next_cursor: optionalString(o.next_cursor, 'next_cursor') };
}

export function fetchAuditPage(
  client: ApiClient,
  q: { limit: number; cursor: string | null; filters: AuditFilters },
  signal?: AbortSignal,
): Promise<AuditPage> {
  return client.get('/v1/audit-log', {
    signal,
    parse: parseAuditPage,
    query: { limit: q.limit, cursor: q.cursor ?? undefined, action: q.filters.action || undefined },
  });
}

export const auditQueries = {
  all: (session: Session) => ['audit-log', session.keyFingerprint] as const,
  list: (session: Session, { limit, filters }: { limit: number; filters: AuditFilters }) =>
    infiniteQueryOptions({
      queryKey: [...auditQueries.all(session), 'list', { limit, filters }] as const,
      queryFn: ({ pageParam, signal }) => fetchAuditPage(session.client, { limit, cursor: pageParam, filters }, signal),
      initialPageParam: null as string | null,
      getNextPageParam: (lastPage) => lastPage.next_cursor,
    }),
};
