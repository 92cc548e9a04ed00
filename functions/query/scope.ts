// Which projects a read may see: the key's bound project, one requested project, or all of the tenant's.
import type { Principal } from '../../core/api-keys';
import { forbidden, notFound } from '../../core/errors';
import type { ProjectResolver } from '../../adapters/project-resolver';

export async function readableProjects(
  projects: ProjectResolver,
  principal: Principal,
  requested: string | null,
): Promise<{ id: string; slug: string }[]> {
  if (principal.projectId && principal.projectSlug) {
    if (requested !== null && requested !== principal.projectSlug) {
      throw forbidden(`This key is bound to project "${principal.projectSlug}" and cannot read "${requested}".`);
    }
    return [{ id: principal.projectId, slug: principal.projectSlug }];
  }
  const all = await projects.projects(principal.tenantId);
  if (requested === null) return all;
  const one = await projects.bySlug(principal.tenantId, requested);
  if (!one) throw notFound(`Project "${requested}" does not exist.`);
  return [one];
}
