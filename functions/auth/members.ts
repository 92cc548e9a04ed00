// Members (docs/api.md#members): who belongs to the tenant with which role; changing a role, removing a member.
// Admin and above (sessions) or an admin key of the whole tenant; only an owner touches owners; one owner always stays.
import { z } from 'zod';
import { memberChangeRefusal, ROLES, type Role } from '../../core/accounts';
import type { Principal } from '../../core/api-keys';
import { keyActor } from '../../core/audit-log';
import { conflict, forbidden, notFound } from '../../core/errors';
import { isUuid } from '../../core/ids';
import type { Adapters } from '../../adapters';
import type { Member } from '../../adapters/postgres/accounts-store';
import { parseBody } from '../http/body-schema';

export const updateMemberSchema = z.object({ role: z.enum(ROLES) }).strict();

const view = (m: Member) => ({
  id: m.id,
  email: m.email,
  name: m.name,
  role: m.role,
  created_at: m.createdAt.toISOString(),
});

/** Members are tenant-wide: a key bound to one project may not see or manage them. */
function actorRole(principal: Principal): Role {
  if (principal.projectId !== null)
    throw forbidden('Members belong to the whole tenant; use a key that is not bound to a project.');
  return principal.role ?? 'admin'; // an admin key acts as an admin
}

export async function getMembers(deps: Adapters, principal: Principal) {
  actorRole(principal);
  return { members: (await deps.accounts.listMembers(principal.tenantId)).map(view) };
}

async function change(deps: Adapters, principal: Principal, id: string, to: Role | null) {
  const actor = actorRole(principal);
  const missing = () => notFound(`No member ${JSON.stringify(id.slice(0, 60))} in this tenant; see GET /v1/members.`);
  if (!isUuid(id)) throw missing();
  const result = await deps.accounts.changeMember(
    principal.tenantId,
    id.toLowerCase(),
    to,
    (current) => {
      const refusal = memberChangeRefusal(actor, current.role, to);
      if (refusal) throw forbidden(refusal);
    },
    (before) => ({
      tenantId: principal.tenantId,
      atMs: deps.now(),
      actor: keyActor(principal),
      action: to === null ? 'member.remove' : 'member.role_change',
      target: before.id,
      before: { email: before.email, role: before.role },
      after: to === null ? null : { email: before.email, role: to },
    }),
  );
  if (result === undefined) throw missing();
  if (result === 'last_owner')
    throw conflict('last_owner', 'A tenant keeps at least one owner; make another member owner first.');
  return result;
}

export async function patchMember(deps: Adapters, principal: Principal, id: string, body: unknown) {
  const { role } = parseBody(updateMemberSchema, body);
  return view(await change(deps, principal, id, role));
}

export async function deleteMember(deps: Adapters, principal: Principal, id: string) {
  const removed = await change(deps, principal, id, null);
  return { id: removed.id, removed: true };
}
