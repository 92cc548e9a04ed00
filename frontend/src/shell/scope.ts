// What the signed-in person or key may do, so each screen shows only that (the server decides anyway,
// docs/api.md#roles): a person's role comes from their session; a key counts as admin (admin scope) or viewer.
import { useQuery } from '@tanstack/react-query';
import type { Role } from '../api/accounts';
import { adminQueries } from '../api/queries';
import { useSession } from '../auth/AuthProvider';

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2, owner: 3 };

/** Whether `role` is at least `least`; undefined while the role is unknown. */
export function roleAtLeast(role: Role | undefined, least: Role): boolean | undefined {
  return role === undefined ? undefined : RANK[role] >= RANK[least];
}

/** The role: the session's, or for a key its scope's (found once per session, see adminQueries.scope). */
export function useRole(): Role | undefined {
  const session = useSession();
  const scope = useQuery({ ...adminQueries.scope(session), enabled: session.account === null });
  if (session.account !== null) return session.account.role;
  return scope.data === undefined ? undefined : scope.data === 'admin' ? 'admin' : 'viewer';
}

/** May change dashboards, alert rules and the catalog (editor and above). */
export function useCanEdit(): boolean | undefined {
  return roleAtLeast(useRole(), 'editor');
}

/** May change keys, settings, members, and erase or export people (admin and above). */
export function useIsAdmin(): boolean | undefined {
  return roleAtLeast(useRole(), 'admin');
}

export const READ_ONLY_HINT = 'Needs an admin key';
