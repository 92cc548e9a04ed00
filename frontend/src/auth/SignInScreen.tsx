// Sign-in: paste a read or admin API key; it is checked against GET /v1/events before use.
import { useMutation } from '@tanstack/react-query';
import { useId, useState, type FormEvent } from 'react';
import { useAuth } from './AuthProvider';
import { normalizeApiKey } from './session';
import { signInErrorMessage, verifyReadAccess } from './verifyKey';

export function SignInScreen() {
  const { signIn, notice } = useAuth();
  const [input, setInput] = useState('');
  const [revealed, setRevealed] = useState(false);
  const inputId = useId();
  const hintId = useId();
  const errorId = useId();

  const verify = useMutation({
    mutationFn: verifyReadAccess,
    onSuccess: (_data, apiKey) => signIn(apiKey),
  });

  const apiKey = normalizeApiKey(input);

  function handleSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (apiKey === '' || verify.isPending) return;
    verify.mutate(apiKey);
  }

  const errorMessage = verify.isError ? signInErrorMessage(verify.error) : null;

  return (
    <main className="signin">
      <form className="signin__card" onSubmit={handleSubmit} noValidate>
        <h1 className="signin__title">
          <span className="brand-mark" aria-hidden="true" />
          CustomerSignal
        </h1>
        <p className="muted">Sign in with an API key to see your events.</p>

        {notice !== null && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}

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
            autoFocus
            required
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

        <button type="submit" className="button button--primary" disabled={apiKey === '' || verify.isPending}>
          {verify.isPending ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
