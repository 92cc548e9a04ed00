// Pure helpers of the audit log screen: the action filter's choices, who acted, and what an entry changed.
import type { AuditActor } from '../api/audit';

/** The filter's choices: every action of one kind of object (prefixes the API takes as `action=`). */
export const ACTION_FILTERS: readonly { value: string; label: string }[] = [
  { value: '', label: 'All actions' },
  { value: 'alert_rule.', label: 'Alert rules' },
  { value: 'dashboard.', label: 'Dashboards' },
  { value: 'catalog.', label: 'Catalog' },
  { value: 'api_key.', label: 'API keys' },
  { value: 'project.', label: 'Projects' },
  { value: 'tenant.', label: 'Tenant settings' },
  { value: 'member.', label: 'Members' },
  { value: 'invite.', label: 'Invites' },
  { value: 'user.', label: 'Sign-in and passwords' },
  { value: 'person.', label: 'Erasure and export' },
];

/** Who acted, for people: a user's e-mail, an API key by its id, or the platform's own step. */
export function actorLabel(actor: AuditActor): string {
  if (actor.kind === 'user') return actor.email ?? `user ${actor.id}`;
  if (actor.kind === 'api_key') return `API key ${actor.id.slice(0, 8)}…`;
  return `system (${actor.id})`;
}

/** JSON with object keys sorted at every level: two equal states print the same whatever their key order. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface FieldChange {
  key: string;
  kind: ChangeKind;
  /** The value before (undefined when added). */
  before: unknown;
  /** The value after (undefined when removed). */
  after: unknown;
}

/**
 * The top-level fields an entry changed, by name: added (only after), removed (only before) or changed (both,
 * unequal); equal fields are left out. A creation lists every field as added, a deletion every field as removed.
 */
export function fieldChanges(
  before: Record<string, unknown> | null,
  after: Record<string, unknown> | null,
): FieldChange[] {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  const out: FieldChange[] = [];
  for (const key of keys) {
    const had = before !== null && Object.hasOwn(before, key);
    const has = after !== null && Object.hasOwn(after, key);
    const b = had ? before[key] : undefined;
    const a = has ? after[key] : undefined;
    if (had && has && stableJson(b) === stableJson(a)) continue;
    out.push({ key, kind: had && has ? 'changed' : has ? 'added' : 'removed', before: b, after: a });
  }
  return out;
}

/** A value in a table cell: strings as they are, anything else as compact JSON, cut at `max` characters. */
export function formatValue(value: unknown, max = 200): string {
  if (value === undefined) return '—';
  const text = typeof value === 'string' ? value : stableJson(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
