// Members and invites of the tenant (admin role or above, or an admin key): members with their roles (change,
// remove) and open invites (create: the link is shown once to copy; revoke). Only an owner makes, changes or
// removes owners, and invites as owner; the server enforces all of it (docs/api.md#members).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { accountsApi, ROLES, type CreatedInvite, type Member, type Role } from '../api/accounts';
import { useSession } from '../auth/AuthProvider';
import { accountErrorMessage } from '../auth/messages';
import type { Session } from '../auth/session';
import { DataTable } from '../components/DataTable';
import { OnceNotice, Select, SelectField, TextField } from '../components/form';
import { EmptyState, QueryView } from '../components/PanelStates';
import { formatDateTime } from '../lib/format';
import { roleAtLeast, useRole } from '../shell/scope';

const membersQuery = (session: Session) => ({
  queryKey: ['members', session.keyFingerprint] as const,
  queryFn: ({ signal }: { signal: AbortSignal }) => accountsApi.members(session.client, signal),
});
const invitesQuery = (session: Session) => ({
  queryKey: ['invites', session.keyFingerprint] as const,
  queryFn: ({ signal }: { signal: AbortSignal }) => accountsApi.invites(session.client, signal),
});

/** The roles `role` may hand out: an owner every one, anyone else all but owner. */
export function grantableRoles(role: Role | undefined): Role[] {
  return ROLES.filter((r) => r !== 'owner' || role === 'owner');
}

export function MembersScreen() {
  const role = useRole();
  if (roleAtLeast(role, 'admin') === false)
    return (
      <>
        <h1 className="page-title">Members</h1>
        <p className="notice">Members and invites are managed by admins and owners.</p>
      </>
    );
  return (
    <>
      <div className="section__header">
        <h1 className="page-title">Members</h1>
        <p className="muted">Who may sign in to this organization, and what each may do.</p>
      </div>
      <MembersSection role={role} />
      <InvitesSection role={role} />
    </>
  );
}

function MembersSection({ role }: { role: Role | undefined }) {
  const session = useSession();
  const members = useQuery(membersQuery(session));
  return (
    <section className="section" aria-labelledby="members-heading">
      <h2 id="members-heading">People</h2>
      <QueryView
        query={members}
        errorTitle="Could not load the members"
        loading="Loading members…"
        empty={<EmptyState title="No members yet" />}
      >
        {(list) => (
          <DataTable caption="Members" columns={['Name', 'E-mail', 'Role', 'Joined', '']}>
            {list.map((m) => (
              <MemberRow key={m.id} member={m} role={role} />
            ))}
          </DataTable>
        )}
      </QueryView>
    </section>
  );
}

function MemberRow({ member, role }: { member: Member; role: Role | undefined }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: membersQuery(session).queryKey });
  const change = useMutation({
    mutationFn: (next: Role) => accountsApi.changeRole(session.client, member.id, next),
    onSuccess: invalidate,
  });
  const remove = useMutation({
    mutationFn: () => accountsApi.removeMember(session.client, member.id),
    onSuccess: invalidate,
  });
  // Only an owner touches an owner.
  const mayChange = role !== undefined && (member.role !== 'owner' || role === 'owner');
  const isSelf = session.account?.user.id === member.id;
  const error = change.error ?? remove.error;
  return (
    <tr>
      <td>{member.name ?? <span className="muted">—</span>}</td>
      <td>
        {member.email}
        {isSelf && <span className="muted"> (you)</span>}
      </td>
      <td>
        {mayChange ? (
          <Select
            aria-label={`Role of ${member.email}`}
            value={member.role}
            options={grantableRoles(role)}
            disabled={change.isPending}
            onChange={(next) => next !== member.role && change.mutate(next)}
          />
        ) : (
          <span className="badge" data-testid="member-role">
            {member.role}
          </span>
        )}
        {error !== null && (
          <p className="form-error" role="alert">
            {accountErrorMessage(error, 'members')}
          </p>
        )}
      </td>
      <td>{formatDateTime(member.created_at)}</td>
      <td>
        {mayChange &&
          (confirming ? (
            <>
              <button
                type="button"
                className="button button--danger button--small"
                disabled={remove.isPending}
                onClick={() => remove.mutate()}
              >
                Confirm removal of {member.email}
              </button>{' '}
              <button type="button" className="button button--small" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button
              type="button"
              className="button button--small"
              aria-label={`Remove ${member.email}`}
              onClick={() => setConfirming(true)}
            >
              Remove
            </button>
          ))}
      </td>
    </tr>
  );
}

function InvitesSection({ role }: { role: Role | undefined }) {
  const session = useSession();
  const queryClient = useQueryClient();
  const invites = useQuery(invitesQuery(session));
  const [email, setEmail] = useState('');
  const [inviteRole, setInviteRole] = useState<Role>('viewer');
  const [created, setCreated] = useState<CreatedInvite | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: invitesQuery(session).queryKey });
  const create = useMutation({
    mutationFn: () => accountsApi.createInvite(session.client, { email: email.trim(), role: inviteRole }),
    onSuccess: (invite) => {
      setCreated(invite);
      setEmail('');
      void invalidate();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => accountsApi.revokeInvite(session.client, id),
    onSuccess: invalidate,
  });
  return (
    <section className="section" aria-labelledby="invites-heading">
      <h2 id="invites-heading">Invites</h2>
      <form
        className="inline-form"
        aria-label="Invite someone"
        onSubmit={(event) => {
          event.preventDefault();
          if (email.trim() !== '' && !create.isPending) create.mutate();
        }}
      >
        <TextField label="E-mail address to invite" type="email" value={email} onChange={setEmail} />
        <SelectField label="Role" value={inviteRole} options={grantableRoles(role)} onChange={setInviteRole} />
        <button type="submit" className="button button--primary" disabled={email.trim() === '' || create.isPending}>
          {create.isPending ? 'Inviting…' : 'Send invite'}
        </button>
      </form>
      {create.isError && (
        <p className="form-error" role="alert">
          {accountErrorMessage(create.error, 'members')}
        </p>
      )}
      {created !== null && (
        <OnceNotice title={`Invite for ${created.email} (${created.role})`} onDismiss={() => setCreated(null)}>
          <p>
            {created.emailed
              ? 'The link is e-mailed. You can also copy it now; it is shown only this once.'
              : 'The e-mail could not be sent: copy the link and pass it on. It is shown only this once.'}
          </p>
          <TextField label="Invite link" value={created.invite_url} onChange={() => undefined} readOnly />
          <button
            type="button"
            className="button"
            onClick={() => void navigator.clipboard?.writeText(created.invite_url).catch(() => undefined)}
          >
            Copy link
          </button>
        </OnceNotice>
      )}
      <QueryView
        query={invites}
        errorTitle="Could not load the invites"
        loading="Loading invites…"
        empty={<EmptyState title="No open invites" />}
      >
        {(list) => (
          <DataTable caption="Open invites" columns={['E-mail', 'Role', 'Expires', '']}>
            {list.map((invite) => (
              <tr key={invite.id}>
                <td>{invite.email}</td>
                <td>{invite.role}</td>
                <td>{formatDateTime(invite.expires_at)}</td>
                <td>
                  {(invite.role !== 'owner' || role === 'owner') && (
                    <button
                      type="button"
                      className="button button--small"
                      aria-label={`Revoke the invite of ${invite.email}`}
                      disabled={revoke.isPending}
                      onClick={() => revoke.mutate(invite.id)}
                    >
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </QueryView>
      {revoke.isError && (
        <p className="form-error" role="alert">
          {accountErrorMessage(revoke.error, 'members')}
        </p>
      )}
    </section>
  );
}

export default MembersScreen;
