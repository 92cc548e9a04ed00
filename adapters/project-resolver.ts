// Resolves a tenant's project slugs to ids, cached briefly.
import type { Sql } from './postgres/client';
import { listProjects, type Project } from './postgres/tenants-store';

export interface ProjectResolver {
  projects(tenantId: string): Promise<Project[]>;
  bySlug(tenantId: string, slug: string): Promise<Project | undefined>;
}

export function createProjectResolver(sql: Sql, ttlMs = 10_000, now: () => number = Date.now): ProjectResolver {
  const cache = new Map<string, { projects: Project[]; expires: number }>();
  async function load(tenantId: string, force: boolean): Promise<Project[]> {
    const hit = cache.get(tenantId);
    if (!force && hit && hit.expires > now()) return hit.projects;
    const projects = await listProjects(sql, tenantId);
    if (cache.size > 10_000) cache.clear();
    cache.set(tenantId, { projects, expires: now() + ttlMs });
    return projects;
  }
  return {
    projects: (tenantId) => load(tenantId, false),
    async bySlug(tenantId, slug) {
      const found = (await load(tenantId, false)).find((p) => p.slug === slug);
      if (found) return found;
      // A project created a moment ago must be usable at once: refresh on a miss (at most once per second).
      const hit = cache.get(tenantId);
      if (hit && hit.expires - ttlMs + 1_000 > now()) return undefined;
      return (await load(tenantId, true)).find((p) => p.slug === slug);
    },
  };
}
