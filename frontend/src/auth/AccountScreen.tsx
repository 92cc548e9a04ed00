// The signed-in person: who and where they are, and a password change (POST /v1/auth/password), which ends every
// other session of theirs and answers with a new one for this browser.
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { accountsApi } from '../api/accounts';
import { TextField } from '../components/form';
import { useAuth, useSession } from './AuthProvider';
import { accountErrorMessage } from './messages';

export function AccountScreen() {
  const session = useSession();
  const { replaceAccount } = useAuth();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const change = useMutation({
    // Requests in flight meanwhile carry the cookie this change ends: their 401s are not a signed-out session.
    meta: { replacesSession: true },
    mutationFn: () => accountsApi.changePassword(session.client, { current_password: current, new_password: next }),
    onSuccess: (account) => {
      setCurrent('');
      setNext('');
      replaceAccount(account);
    },
  });
  const account = session.account;
  if (account === null)
    return (
      <>
        <h1 className="page-title">Account</h1>
        <p className="notice">You are signed in with an API key: there is no account to change.</p>
      </>
    );
  return (
    <>
      <div className="section__header">
        <h1 className="page-title">Account</h1>
        <p className="muted">
          {account.user.name !== null ? `${account.user.name} · ` : ''}
          {account.user.email} · {account.role} of {account.tenant.name} ({account.tenant.slug})
        </p>
      </div>
      <section className="section" aria-labelledby="password-heading">
        <h2 id="password-heading">Change password</h2>
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            if (current !== '' && next !== '' && !change.isPending) change.mutate();
          }}
        >
          <TextField
            label="Current password"
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={setCurrent}
          />
          <TextField
            label="New password"
            type="password"
            autoComplete="new-password"
            hint="At least 10 characters. Your other sessions are signed out."
            value={next}
            onChange={setNext}
          />
          <button
            type="submit"
            className="button button--primary"
            disabled={current === '' || next === '' || change.isPending}
          >
            {change.isPending ? 'Changing…' : 'Change password'}
          </button>
        </form>
        {change.isError && (
          <p className="form-error" role="alert">
            {accountErrorMessage(change.error, 'password')}
          </p>
        )}
        {change.isSuccess && (
          <p className="notice notice--ok" role="status">
            Your password is changed; your other sessions are signed out.
          </p>
        )}
      </section>
    </>
  );
}

export default AccountScreen;
