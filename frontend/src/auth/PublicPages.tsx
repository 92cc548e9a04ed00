// The other pages before sign-in: sign-up (SIGNUP_MODE=open), "forgot password", and the pages of the e-mailed links
// (password reset, invite, e-mail confirmation). The links carry their token in the fragment (read here, never sent
// to a server but the API).
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { accountsApi } from '../api/accounts';
import { TextField } from '../components/form';
import { AuthCard, FormError } from './AuthCard';
import { PUBLIC_MUTATION, useAuth } from './AuthProvider';
import { accountErrorMessage } from './messages';
import { enterApp, linkTokenOf } from './publicRoute';
import { publicClient } from './session';

const PASSWORD_HINT = 'At least 10 characters; a few unrelated words work well.';
const BACK = (
  <p className="muted">
    <a href="/#/">Back to sign-in</a>
  </p>
);

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
      footer={BACK}
    >
      <TextField label="E-mail address" type="email" autoComplete="username" value={email} onChange={setEmail} />
      <TextField
        label="Password"
        type="password"
        autoComplete="new-password"
        hint={PASSWORD_HINT}
        value={password}
        onChange={setPassword}
      />
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
      footer={BACK}
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

function MissingToken({ what }: { what: string }) {
  return (
    <AuthCard title={what} onSubmit={() => undefined} footer={BACK}>
      <p className="form-error" role="alert">
        This link is incomplete: open the whole link from the e-mail (it ends with #token=…).
      </p>
    </AuthCard>
  );
}

export function ResetPasswordScreen() {
  const [token] = useState(() => linkTokenOf(window.location.hash));
  const [password, setPassword] = useState('');
  const reset = useMutation({
    mutationFn: (t: string) => accountsApi.reset(publicClient, { token: t, password }),
    meta: PUBLIC_MUTATION,
  });
  if (token === null) return <MissingToken what="Choose a new password" />;
  if (reset.isSuccess)
    return (
      <AuthCard title="Password changed" onSubmit={() => undefined}>
        <p className="notice notice--ok" role="status">
          Your password is changed and every session of your account has ended.
        </p>
        <a className="button button--primary" href="/#/">
          Sign in
        </a>
      </AuthCard>
    );
  return (
    <AuthCard
      title="Choose a new password"
      onSubmit={() => password !== '' && !reset.isPending && reset.mutate(token)}
      footer={BACK}
    >
      <TextField
        label="New password"
        type="password"
        autoComplete="new-password"
        hint={PASSWORD_HINT}
        value={password}
        onChange={setPassword}
      />
      <FormError message={reset.isError ? accountErrorMessage(reset.error, 'reset') : null} />
      <button type="submit" className="button button--primary" disabled={password === '' || reset.isPending}>
        {reset.isPending ? 'Saving…' : 'Set new password'}
      </button>
    </AuthCard>
  );
}

export function AcceptInviteScreen() {
  const { signInAs } = useAuth();
  const [token] = useState(() => linkTokenOf(window.location.hash));
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const accept = useMutation({
    mutationFn: (t: string) =>
      accountsApi.acceptInvite(publicClient, {
        token: t,
        password,
        ...(name.trim() !== '' ? { name: name.trim() } : {}),
      }),
    onSuccess: (account) => {
      enterApp();
      signInAs(account);
    },
    meta: PUBLIC_MUTATION,
  });
  if (token === null) return <MissingToken what="Join your team" />;
  return (
    <AuthCard
      title="Join your team"
      intro="New here: choose a password. Already have an account: enter its current password."
      onSubmit={() => password !== '' && !accept.isPending && accept.mutate(token)}
      footer={BACK}
    >
      <TextField label="Your name (optional)" autoComplete="name" value={name} onChange={setName} />
      <TextField
        label="Password"
        type="password"
        autoComplete="new-password"
        hint={PASSWORD_HINT}
        value={password}
        onChange={setPassword}
      />
      <FormError message={accept.isError ? accountErrorMessage(accept.error, 'accept') : null} />
      <button type="submit" className="button button--primary" disabled={password === '' || accept.isPending}>
        {accept.isPending ? 'Joining…' : 'Accept invite'}
      </button>
    </AuthCard>
  );
}

/**
 * The e-mail confirmation link's page. It asks before it confirms, so a mail scanner that opens links confirms
 * nothing; the link works whoever is signed in (it proves the mailbox, not the browser).
 */
export function VerifyEmailScreen() {
  const { session, replaceAccount } = useAuth();
  const [token] = useState(() => linkTokenOf(window.location.hash));
  const verify = useMutation({
    mutationFn: (t: string) => accountsApi.verifyEmail(publicClient, t),
    onSuccess: () => {
      // The banner of a signed-in person goes at once; another browser sees it at its next GET /v1/me.
      const account = session?.account;
      if (account) replaceAccount({ ...account, user: { ...account.user, email_verified: true } });
    },
    meta: PUBLIC_MUTATION,
  });
  if (token === null) return <MissingToken what="Confirm your e-mail address" />;
  if (verify.isSuccess)
    return (
      <AuthCard title="E-mail address confirmed" onSubmit={() => undefined}>
        <p className="notice notice--ok" role="status">
          Your e-mail address is confirmed: you can now invite people, create API keys and set up single sign-on.
        </p>
        <button type="button" className="button button--primary" onClick={enterApp}>
          {session === null ? 'Sign in' : 'Continue to the dashboard'}
        </button>
      </AuthCard>
    );
  return (
    <AuthCard
      title="Confirm your e-mail address"
      onSubmit={() => !verify.isPending && verify.mutate(token)}
      footer={BACK}
    >
      <p className="muted">This confirms that the address belongs to you. The link works once.</p>
      <FormError message={verify.isError ? accountErrorMessage(verify.error, 'verify') : null} />
      <button type="submit" className="button button--primary" disabled={verify.isPending}>
        {verify.isPending ? 'Confirming…' : 'Confirm my e-mail address'}
      </button>
    </AuthCard>
  );
}
