// The pages shown before sign-in. The e-mailed links are paths with the token in the fragment
// (/accept-invite#token=…, /reset-password#token=…, /verify-email#token=…: a fragment is sent to no server); sign-up and "forgot password"
// are hash routes of the sign-in page (#/signup, #/forgot); SSO sends people back with #sso_error=<code>.
import { useEffect, useState } from 'react';

export type PublicScreen = 'signin' | 'signup' | 'forgot' | 'reset' | 'accept' | 'verify';

export function publicScreenOf(pathname: string, hash: string): PublicScreen {
  if (/\/accept-invite\/?$/.test(pathname)) return 'accept';
  if (/\/reset-password\/?$/.test(pathname)) return 'reset';
  if (/\/verify-email\/?$/.test(pathname)) return 'verify';
  const route = hash.replace(/^#\/?/, '').split('?', 1)[0];
  if (route === 'signup') return 'signup';
  if (route === 'forgot') return 'forgot';
  return 'signin';
}

function fragmentParam(hash: string, name: string): string | null {
  try {
    return new URLSearchParams(hash.replace(/^#/, '')).get(name);
  } catch {
    return null;
  }
}

/** The link's token, or null when the fragment has none (a link cut short when copied). */
export function linkTokenOf(hash: string): string | null {
  const token = fragmentParam(hash, 'token')?.trim() ?? '';
  return token === '' || token.length > 200 ? null : token;
}

// The codes of GET /v1/auth/sso/start and /callback (docs/api.md#single-sign-on-sso).
const SSO_ERRORS: Record<string, string> = {
  invalid_request: 'The sign-in link was malformed. Start again from this page.',
  sso_not_configured:
    'Single sign-on is not set up (or is turned off) for this organization. Ask an admin, or sign in with a password.',
  invalid_return_to: 'The sign-in was asked to return to a page outside this app. Start again from this page.',
  issuer_unavailable: 'Your identity provider could not be reached. Try again in a moment.',
  invalid_state: 'The sign-in took too long, was already used, or was started in another browser. Try again.',
  access_denied: 'Your identity provider did not let you in.',
  invalid_token:
    'Your identity provider’s answer could not be verified. Try again, or ask an admin to check the setup.',
  email_missing: 'Your identity provider did not share your e-mail address.',
  email_not_verified: 'Your identity provider does not say your e-mail address is verified.',
  domain_not_allowed: 'Your e-mail address’s domain is not allowed for this organization. Ask an admin.',
  temporarily_unavailable: 'The service is briefly unavailable. Try again in a moment.',
};

/** The message for #sso_error=<code>, or null when the fragment has none. Unknown codes get a generic message. */
export function ssoErrorMessage(hash: string): string | null {
  const code = fragmentParam(hash, 'sso_error');
  if (code === null) return null;
  const known = Object.hasOwn(SSO_ERRORS, code) ? SSO_ERRORS[code] : undefined;
  if (known !== undefined) return `Single sign-on failed: ${known}`;
  const shown = /^[a-z0-9_.-]{1,64}$/i.test(code) ? ` (${code})` : '';
  return `Single sign-on failed${shown}. Try again, or sign in with your password.`;
}

/** Where "Sign in with SSO" goes for an organization (its slug). */
export function ssoStartPath(organization: string): string {
  return `/v1/auth/sso/start?organization=${encodeURIComponent(organization.trim().toLowerCase())}`;
}

/** Leaves a public page (a link with a token, sign-up) for the app: the token leaves the address bar. */
export function enterApp(): void {
  window.history.replaceState(null, '', '/#/dashboards');
  window.dispatchEvent(new Event('cs:location'));
}

/** The public page of the current address; re-read when the hash or the path changes. */
export function usePublicScreen(): PublicScreen {
  const [, setTick] = useState(0);
  useEffect(() => {
    const onChange = () => setTick((t) => t + 1);
    for (const name of ['hashchange', 'popstate', 'cs:location']) window.addEventListener(name, onChange);
    return () => {
      for (const name of ['hashchange', 'popstate', 'cs:location']) window.removeEventListener(name, onChange);
    };
  }, []);
  return publicScreenOf(window.location.pathname, window.location.hash);
}
