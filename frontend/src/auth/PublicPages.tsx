// The other pages before sign-in: sign-up (SIGNUP_MODE=open), "forgot password", and the pages of the e-mailed links
// (password reset, invite, e-mail confirmation), each a TokenLinkPage (the token in the link's fragment, sent by a
// button).
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { accountsApi } from '../api/accounts';
import { TextField } from '../components/form';
import { AuthCard, FormError } from './AuthCard';
import { PUBLIC_MUTATION, useAuth } from './AuthProvider';
import { accountErrorMessage } from './messages';
import { enterApp } from './publicRoute';
import { publicClient } from './session';
import { BACK_TO_SIGN_IN, TokenLinkPage } from './TokenLinkPage';

const PASSWORD_HINT = 'At least 10 characters; a few unrelated words work well.';

function NewPasswordField(props: { label: string; value: string; onChange: (value: string) => void }) {
  return <TextField {...props} type="password" autoComplete="new-password" hint={PASSWORD_HINT} />;
}

export function SignUpScreen() {
  const { signInAs } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [organization, setOrganization] = useState('');
  const [name, setName] = useState('');
  const signup = useMutation({
    mutationFn: () =>
      accountsApi.signup(publicClient, {
        email: email.trim(),
        password,
        organization: organization.trim(),
        ...(name.trim() !== '' ? { name: name.trim() } : {}),
      }),
    onSuccess: (account) => {
      enterApp();
      signInAs(account);
    },
    meta: PUBLIC_MUTATION,
  });
  const ready = email.trim() !== '' && password !== '' && organization.trim() !== '';
  return (
    <AuthCard
      title="Create your account"
      intro="A new organization with you as its owner."
      onSubmit={() => ready && !signup.isPending && signup.mutate()}
      footer={BACK_TO_SIGN_IN}
    >
      <TextField label="E-mail address" type="email" autoComplete="username" value={email} onChange={setEmail} />
      <NewPasswordField label="Password" value={password} onChange={setPassword} />
      <TextField label="Organization" autoComplete="organization" value={organization} onChange={setOrganization} />
      <TextField label="Your name (optional)" autoComplete="name" value={name} onChange={setName} />
      <FormError message={signup.isError ? accountErrorMessage(signup.error, 'signup') : null} />
      <button type="submit" className="button button--primary" disabled={!ready || signup.isPending}>
        {signup.isPending ? 'Creating…' : 'Create account'}
      </button>
    </AuthCard>
  );
}

export function ForgotPasswordScreen() {
  const [email, setEmail] = useState('');
  const forgot = useMutation({
    mutationFn: () => accountsApi.forgot(publicClient, email.trim()),
    meta: PUBLIC_MUTATION,
  });
  return (
    <AuthCard
      title="Reset your password"
      intro="We e-mail you a link to choose a new password. It works once, for an hour."
      onSubmit={() => email.trim() !== '' && !forgot.isPending && forgot.mutate()}
      footer={BACK_TO_SIGN_IN}
    >
      <TextField label="E-mail address" type="email" autoComplete="username" value={email} onChange={setEmail} />
      <FormError message={forgot.isError ? accountErrorMessage(forgot.error, 'forgot') : null} />
      {forgot.isSuccess && (
        <p className="notice notice--ok" role="status">
          If an account has this address, a link to reset its password is on its way. Check your inbox.
        </p>
      )}
      <button type="submit" className="button button--primary" disabled={email.trim() === '' || forgot.isPending}>
        {forgot.isPending ? 'Sending…' : 'Send reset link'}
      </button>
    </AuthCard>
  );
}

export function ResetPasswordScreen() {
  const [password, setPassword] = useState('');
  return (
    <TokenLinkPage
      title="Choose a new password"
      form="reset"
      send={(token) => accountsApi.reset(publicClient, { token, password })}
      done={
        <AuthCard title="Password changed" onSubmit={() => undefined}>
          <p className="notice notice--ok" role="status">
            Your password is changed and every session of your account has ended.
          </p>
          <a className="button button--primary" href="/#/">
            Sign in
          </a>
        </AuthCard>
      }
      ready={password !== ''}
      button="Set new password"
      busyButton="Saving…"
    >
      <NewPasswordField label="New password" value={password} onChange={setPassword} />
    </TokenLinkPage>
  );
}

export function AcceptInviteScreen() {
  const { signInAs } = useAuth();
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  return (
    <TokenLinkPage
      title="Join your team"
      intro="New here: choose a password. Already have an account: enter its current password."
      form="accept"
      send={(token) =>
        accountsApi.acceptInvite(publicClient, {
          token,
          password,
          ...(name.trim() !== '' ? { name: name.trim() } : {}),
        })
      }
      onSuccess={(account) => {
        enterApp();
        signInAs(account);
      }}
      ready={password !== ''}
      button="Accept invite"
      busyButton="Joining…"
    >
      <TextField label="Your name (optional)" autoComplete="name" value={name} onChange={setName} />
      <NewPasswordField label="Password" value={password} onChange={setPassword} />
    </TokenLinkPage>
  );
}

/**
 * The e-mail confirmation link's page. It asks before it confirms, so a mail scanner that opens links confirms
 * nothing; the link works whoever is signed in (it proves the mailbox, not the browser).
 */
export function VerifyEmailScreen() {
  const { session, replaceAccount } = useAuth();
  return (
    <TokenLinkPage
      title="Confirm your e-mail address"
      form="verify"
      send={(token) => accountsApi.verifyEmail(publicClient, token)}
      onSuccess={() => {
        // The banner of a signed-in person goes at once; another browser sees it at its next GET /v1/me.
        const account = session?.account;
        if (account) replaceAccount({ ...account, user: { ...account.user, email_verified: true } });
      }}
      done={
        <AuthCard title="E-mail address confirmed" onSubmit={() => undefined}>
          <p className="notice notice--ok" role="status">
            Your e-mail address is confirmed: you can now invite people, create API keys and set up single sign-on.
          </p>
          <button type="button" className="button button--primary" onClick={enterApp}>
            {session === null ? 'Sign in' : 'Continue to the dashboard'}
          </button>
        </AuthCard>
      }
      button="Confirm my e-mail address"
      busyButton="Confirming…"
    >
      <p className="muted">This confirms that the address belongs to you. The link works once.</p>
    </TokenLinkPage>
  );
}
