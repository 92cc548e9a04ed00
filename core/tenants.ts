// Tenants and projects: the slug rule both are named by, and a tenant's own raw-event retention. Pure.

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const SLUG_RULE = 'must be 1-63 lower-case letters, digits or dashes, starting with a letter or digit';

/** What is wrong with a tenant or project slug, or undefined when it is well-formed. */
export function slugProblem(kind: 'tenant' | 'project', slug: string): string | undefined {
  return SLUG_PATTERN.test(slug) ? undefined : `${kind} slug "${slug}" ${SLUG_RULE}`;
}

const DAY_MS = 86_400_000;

/** A tenant's retention: its own number of days (null: none set), never beyond the platform's RETENTION. */
export function effectiveRetentionMs(retentionDays: number | null, platformMs: number): number {
  return retentionDays === null ? platformMs : Math.min(retentionDays * DAY_MS, platformMs);
}
