// GET /v1/auth/options (docs/api.md#get-v1authoptions): how people may sign in to this deployment, so the dashboard
// shows only the ways that work. Public and the same for everyone: it names no tenant.
import type { Config } from '../../adapters/config';

export interface SignInOptions {
  /** open: anyone may create an organization (POST /v1/auth/signup); invite-only: people join by invite. */
  signup: 'open' | 'invite-only';
  /** Whether the dashboard offers its API-key sign-in form (KEY_SIGNIN; meant for local development). */
  key_signin: boolean;
  /** Single sign-on per organization (GET /v1/auth/sso/start?organization=<slug>). */
  sso: true;
}

export function signInOptions(config: Pick<Config, 'accounts'>): SignInOptions {
  return { signup: config.accounts.signup, key_signin: config.accounts.keySignin, sso: true };
}
