// Sign-in: e-mail and password (POST /v1/auth/login), single sign-on by organization, and (where the deployment
// allows it: GET /v1/auth/options key_signin) an API key for development, checked against GET /v1/events before use.
import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { accountsApi } from '../api/accounts';
import { TextField } from '../components/form';
import { apiBaseUrl } from '../config';
import { AuthCard, FormError } from './AuthCard';
import { PUBLIC_MUTATION, useAuth } from './AuthProvider';
import { accountErrorMessage } from './messages';
import { ssoErrorMessage, ssoStartPath } from './publicRoute';
import { normalizeApiKey, publicClient } from './session';
import { signInErrorMessage, verifyReadAccess } from './verifyKey';

export const optionsQuery = {
  queryKey: ['auth-options'] as const,
  queryFn: ({ signal }: { signal: AbortSignal }) => accountsApi.options(publicClient, signal),
  staleTime: Infinity,
};

export function SignInScreen() {
  const { signInAs, notice } = useAuth();
  const options = useQuery(optionsQuery);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const login = useMutation({
    mutationFn: () => accountsApi.login(publicClient, { email: email.trim(), password }),
    onSuccess: signInAs,
    meta: PUBLIC_MUTATION,
  });
  const ssoError = ssoErrorMessage(window.location.hash);

  return (
    <AuthCard
      title="Sign in"
      onSubmit={() => {
        if (email.trim() !== '' && password !== '' && !login.isPending) login.mutate();
      }}
      footer={
        <>
          <SsoSignIn />
          {options.data?.key_signin === true && <KeySignIn />}
        </>
      }
    >
      {notice !== null && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {ssoError !== null && (
        <p className="notice notice--error" role="alert">
          {ssoError}
        </p>
      )}
      <TextField label="E-mail address" type="email" autoComplete="username" value={email} onChange={setEmail} />
      <TextField
        label="Password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={setPassword}
      />
      <FormError message={login.isError ? accountErrorMessage(login.error, 'signin') : null} />
      <button type="submit" className="button button--primary" disabled={login.isPending}>
        {login.isPending ? 'Signing in…' : 'Sign in'}
      </button>
      <p className="muted">
        <a href="#/forgot">Forgot your password?</a>
        {options.data?.signup === 'open' && (
          <>
            {' · '}
            <a href="#/signup">Create an account</a>
          </>
        )}
      </p>
    </AuthCard>
  );
}

/** "Sign in with SSO": asks for the organization, then the browser goes to the SSO start route. */
function SsoSignIn() {
  const [open, setOpen] = useState(false);
  const [organization, setOrganization] = useState('');
  const slug = organization.trim();
  return (
    <section className="signin__alt" aria-label="Single sign-on">
      {!open ? (
        <button type="button" className="button button--link" onClick={() => setOpen(true)}>
          Sign in with SSO
        </button>
      ) : (
        <form
          className="signin__form"
          onSubmit={(event) => {
            event.preventDefault();
            if (slug !== '') window.location.assign(`${apiBaseUrl}${ssoStartPath(slug)}`);
          }}
        >
          <TextField
            label="Organization"
            hint="Your organization's short name (its slug), e.g. acme-inc."
            value={organization}
            onChange={setOrganization}
            autoCapitalize="off"
            autoCorrect="off"
            spellCheck={false}
            autoFocus
          />
          <button type="submit" className="button" disabled={slug === ''}>
            Continue with SSO
          </button>
        </form>
      )}
    </section>
  );
}

/** Development only: a read or admin API key, kept in this browser tab only. */
function KeySignIn() {
  const { signIn } = useAuth();
  const [input, setInput] = useState('');
  const [revealed, setRevealed] = useState(false);
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();
  const verify = useMutation({
    mutationFn: verifyReadAccess,
    onSuccess: (_data, apiKey) => signIn(apiKey),
    meta: PUBLIC_MUTATION,
  });
  const apiKey = normalizeApiKey(input);
  const errorMessage = verify.isError ? signInErrorMessage(verify.error) : null;

  return (
    <form
      className="signin__form signin__alt"
      aria-label="Sign in with an API key"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        if (apiKey !== '' && !verify.isPending) verify.mutate(apiKey);
      }}
    >
      <h2 className="panel__title">For development: an API key</h2>
      <label className="field__label" htmlFor={inputId}>
        API key
      </label>
      <div className="signin__input-row">
        <input
          id={inputId}
          className="input"
          type={revealed ? 'text' : 'password'}
          value={input}
          onChange={(event) => setInput(event.target.value)}
          autoComplete="off"
          autoCapitalize="off"
          autoCorrect="off"
          spellCheck={false}
          aria-describedby={errorMessage !== null ? `${hintId} ${errorId}` : hintId}
          aria-invalid={errorMessage !== null}
        />
        <button
          type="button"
          className="button button--ghost"
          onClick={() => setRevealed((value) => !value)}
          aria-pressed={revealed}
        >
          {revealed ? 'Hide' : 'Show'}
        </button>
      </div>
      <p id={hintId} className="field__hint">
        A key with the <code>read</code> or <code>admin</code> scope. It is kept in this browser tab only and is
        forgotten when you sign out or close the tab.
      </p>
      {errorMessage !== null && (
        <p id={errorId} className="form-error" role="alert">
          {errorMessage}
        </p>
      )}
      <button type="submit" className="button" disabled={apiKey === '' || verify.isPending}>
        {verify.isPending ? 'Checking…' : 'Sign in with the key'}
      </button>
    </form>
  );
}
