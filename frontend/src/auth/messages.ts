// What the accounts screens say when a request fails, in the words of the form the person is looking at.
import { isApiError } from '../api/client';

export type AccountForm = 'signup' | 'signin' | 'forgot' | 'reset' | 'accept' | 'password' | 'members' | 'verify';

export function accountErrorMessage(error: unknown, form: AccountForm): string {
  if (!isApiError(error)) return 'Something went wrong. Try again.';
  switch (error.code) {
    case 'network_error':
      return error.message;
    case 'weak_password':
      // The server says which rule the password breaks.
      return `This password is too weak: ${error.message.replace(/^(new_password:\s*)?password\s+/i, '').replace(/\.$/, '')}.`;
    case 'email_taken':
      return 'An account with this e-mail address exists already. Sign in instead, or reset its password.';
    case 'signup_closed':
      return 'Sign-up is closed here: ask an admin of your organization for an invite.';
    case 'invalid_invite':
      return 'This invite link is not valid: it was used, revoked or has expired. Ask for a new invite.';
    case 'invalid_reset':
      return 'This reset link is not valid: it was used, a newer one was sent, or it has expired. Ask for a new one.';
    case 'invalid_verification':
      return 'This confirmation link is not valid: it was used, a newer one was sent, or it has expired. Sign in and send a new one.';
    case 'email_unverified':
      return 'Confirm your e-mail address first: open the link we e-mailed you, or send it again from the banner.';
    case 'already_member':
      return form === 'accept'
        ? 'You are a member of this organization already: sign in instead.'
        : 'This address is a member already.';
    case 'invalid_credentials':
      return 'The current password is wrong.';
    case 'last_owner':
      return 'An organization keeps at least one owner: make someone else owner first.';
    case 'rate_limited':
      return 'Too many attempts. Wait a few minutes and try again.';
    default:
      break;
  }
  if (error.status === 401 && form === 'accept')
    return 'This address has an account already: enter its current password to join.';
  if (error.status === 401 && form === 'signin') return 'The e-mail address or the password is wrong.';
  if (error.status === 403 && form === 'members') return `Your role may not do this: ${error.message}`;
  return error.message;
}
