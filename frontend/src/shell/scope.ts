// The signed-in key's scope, found once per session (see adminQueries.scope).
import { useQuery } from '@tanstack/react-query';
import { adminQueries } from '../api/queries';
import { useSession } from '../auth/AuthProvider';

/** true for an admin key, false for a read key, undefined while unknown. */
export function useIsAdmin(): boolean | undefined {
  const session = useSession();
  const scope = useQuery(adminQueries.scope(session));
  return scope.data === undefined ? undefined : scope.data === 'admin';
}

export const READ_ONLY_HINT = 'Needs an admin key';
