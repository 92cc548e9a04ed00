// Shown to a person whose e-mail address is not confirmed yet: what they cannot do until then, and a way to get the
// link again (POST /v1/auth/verify-email/resend, throttled by the server).
import { useMutation } from '@tanstack/react-query';
import { useSession } from './AuthProvider';
import { accountsApi } from '../api/accounts';
import { accountErrorMessage } from './messages';

export function VerifyEmailBanner() {
  const session = useSession();
  const resend = useMutation({ mutationFn: () => accountsApi.resendVerification(session.client) });
  const account = session.account;
  if (account === null || account.user.email_verified) return null;
  return (
    <div className="notice" role="status" data-testid="verify-email-banner">
      Confirm your e-mail address: we sent a link to <strong>{account.user.email}</strong>. Until then you cannot invite
      people, create API keys, set up single sign-on or erase or export people.{' '}
      {resend.isSuccess ? (
        <span>A new link is on its way (earlier links no longer work).</span>
      ) : (
        <button
          type="button"
          className="button button--ghost"
          disabled={resend.isPending}
          onClick={() => resend.mutate()}
        >
          {resend.isPending ? 'Sending…' : 'Send the link again'}
        </button>
      )}
      {resend.isError && <span className="form-error"> {accountErrorMessage(resend.error, 'verify')}</span>}
    </div>
  );
}
