// The page of an e-mailed link (password reset, invite, e-mail confirmation): the token is read once from the URL
// fragment (never sent to a server but the API); a link without one says it is incomplete; the token is POSTed only
// when the person presses the button (a mail scanner that opens the link does nothing); the answer's error shows on
// the form, and its success as the page's `done` view (or wherever `onSuccess` leads).
import { useMutation } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { AuthCard, FormError } from './AuthCard';
import { PUBLIC_MUTATION } from './AuthProvider';
import { accountErrorMessage, type AccountForm } from './messages';
import { linkTokenOf } from './publicRoute';

export const BACK_TO_SIGN_IN = (
  <p className="muted">
    <a href="/#/">Back to sign-in</a>
  </p>
);

export function TokenLinkPage<T>({
  title,
  intro,
  form,
  send,
  onSuccess,
  done,
  ready = true,
  button,
  busyButton,
  children,
}: {
  title: string;
  intro?: ReactNode;
  /** Which form's error messages to use. */
  form: AccountForm;
  /** The POST of the token (with what the fields hold). */
  send: (token: string) => Promise<T>;
  onSuccess?: (answer: T) => void;
  /** What shows once the POST succeeded; without it the form stays (onSuccess leads elsewhere). */
  done?: ReactNode;
  /** Whether the fields are filled in enough to send. */
  ready?: boolean;
  button: string;
  busyButton: string;
  /** The form's fields and text above the error. */
  children?: ReactNode;
}) {
  const [token] = useState(() => linkTokenOf(window.location.hash));
  const post = useMutation({ mutationFn: send, onSuccess, meta: PUBLIC_MUTATION });
  if (token === null)
    return (
      <AuthCard title={title} onSubmit={() => undefined} footer={BACK_TO_SIGN_IN}>
        <p className="form-error" role="alert">
          This link is incomplete: open the whole link from the e-mail (it ends with #token=…).
        </p>
      </AuthCard>
    );
  if (post.isSuccess && done !== undefined) return <>{done}</>;
  return (
    <AuthCard
      title={title}
      intro={intro}
      onSubmit={() => ready && !post.isPending && post.mutate(token)}
      footer={BACK_TO_SIGN_IN}
    >
      {children}
      <FormError message={post.isError ? accountErrorMessage(post.error, form) : null} />
      <button type="submit" className="button button--primary" disabled={!ready || post.isPending}>
        {post.isPending ? busyButton : button}
      </button>
    </AuthCard>
  );
}
