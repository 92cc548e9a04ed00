// Writes more than one screen makes, with what they make stale.
import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import type { Session } from '../auth/session';
import { useSession } from '../auth/AuthProvider';
import { adminQueries, catalogQueries } from './queries';
import { api } from './resources';
import type { SchemaMode } from './types';

/** A project changed: the project list and the catalog (which shows each project's schema mode) are stale. */
export const invalidateProjects = (queryClient: QueryClient, session: Session) =>
  Promise.all([
    queryClient.invalidateQueries({ queryKey: adminQueries.projects(session).queryKey }),
    queryClient.invalidateQueries({ queryKey: catalogQueries.all(session) }),
  ]);

/** PATCH /v1/projects/{slug} with a new schema mode (Catalog and Projects & keys). */
export function useSetSchemaMode() {
  const session = useSession();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (v: { slug: string; schema_mode: SchemaMode }) =>
      api.updateProject(session.client, v.slug, { schema_mode: v.schema_mode }),
    onSuccess: () => invalidateProjects(queryClient, session),
  });
}
