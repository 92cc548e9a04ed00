// The OpenID Connect relying party (core/sso.ts OidcClient) on openid-client: discovery, the authorization URL with
// PKCE S256, state and nonce, and the code exchange whose ID token openid-client verifies (JWKS signature, iss, aud,
// azp, exp, iat, nonce). Every request to the issuer goes through the webhooks' target policy, checked after DNS,
// so an admin cannot point the server at loopback, private or metadata addresses (docs/security.md#single-sign-on).
// Errors are reduced to a code; no token, code or secret reaches a log line or an error message.
import * as oidc from 'openid-client';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { refusedAddress, type TargetPolicy } from '../../core/webhook';
import { SsoFailure, type OidcClient, type SsoConfig, type SsoIdentity } from '../../core/sso';
import { logger } from '../logger';

export interface OidcClientOptions {
  /** Which addresses the issuer's endpoints may resolve to (WEBHOOK_ALLOW_LOOPBACK, WEBHOOK_ALLOWED_HOSTS). */
  policy: TargetPolicy;
  /** The app's clock: ID token times (exp, iat) are judged by it. */
  now: () => number;
  timeoutSeconds?: number;
}

/** Why a URL's host must not be called, or null (loopback only when the policy allows it). */
async function refusal(url: URL, policy: TargetPolicy): Promise<string | null> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  for (const a of addresses) {
    const why = refusedAddress(a, host, policy);
    if (why) return why;
  }
  return null;
}

async function isLoopback(url: URL): Promise<boolean> {
  return (await refusal(url, { allowLoopback: false, allowedHosts: [] }))?.includes('loopback') ?? false;
}

export function createOidcClient(opts: OidcClientOptions): OidcClient {
  const timeout = opts.timeoutSeconds ?? 10;
  const guardedFetch: oidc.CustomFetch = async (url, options) => {
    const why = await refusal(new URL(url), opts.policy);
    if (why) throw new SsoFailure('issuer_unavailable', `refused: ${why}`);
    return fetch(url, options as RequestInit);
  };

  async function configure(issuer: string, clientId: string, secret: string): Promise<oidc.Configuration> {
    const server = new URL(issuer);
    // http only for an issuer on this machine (the local runtime and the tests); anything else must be https.
    const insecure = server.protocol === 'http:';
    if (insecure && !(opts.policy.allowLoopback && (await isLoopback(server))))
      throw new SsoFailure('issuer_unavailable', 'the issuer must use https');
    const skew = Math.round((opts.now() - Date.now()) / 1000);
    try {
      const config = await oidc.discovery(
        server,
        clientId,
        { client_secret: secret, [oidc.clockSkew]: skew },
        oidc.ClientSecretBasic(secret),
        { [oidc.customFetch]: guardedFetch, timeout, execute: insecure ? [oidc.allowInsecureRequests] : [] },
      );
      config[oidc.customFetch] = guardedFetch;
      config.timeout = timeout;
      // openid-client trusts an ID token from the token endpoint by TLS alone (OIDC Core 3.1.3.7 allows it); we also
      // verify its signature against the issuer's JWKS, as docs/security.md promises.
      oidc.enableNonRepudiationChecks(config);
      return config;
    } catch (e) {
      if (e instanceof SsoFailure) throw e;
      throw new SsoFailure('issuer_unavailable', discoveryProblem(e));
    }
  }

  return {
    async check(issuer) {
      await configure(issuer, 'discovery-check', 'unused');
    },

    async authorizationUrl(cfg, p) {
      const config = await configure(cfg.issuer, cfg.clientId, cfg.clientSecret);
      return oidc
        .buildAuthorizationUrl(config, {
          redirect_uri: p.redirectUri,
          response_type: 'code',
          scope: 'openid email profile',
          state: p.state,
          nonce: p.nonce,
          code_challenge: await oidc.calculatePKCECodeChallenge(p.codeVerifier),
          code_challenge_method: 'S256',
        })
        .toString();
    },

    async exchange(cfg: SsoConfig, p): Promise<SsoIdentity> {
      const config = await configure(cfg.issuer, cfg.clientId, cfg.clientSecret);
      let tokens;
      try {
        tokens = await oidc.authorizationCodeGrant(config, new URL(p.callbackUrl), {
          pkceCodeVerifier: p.codeVerifier,
          expectedState: p.state,
          expectedNonce: p.nonce,
          idTokenExpected: true,
        });
      } catch (e) {
        throw exchangeFailure(e);
      }
      const claims = tokens.claims();
      if (!claims) throw new SsoFailure('invalid_token', 'no ID token');
      let source: Record<string, unknown> = claims;
      if (typeof claims.email !== 'string' && tokens.access_token) {
        // Issuers that keep the e-mail out of the ID token (code flow) give it at UserInfo, for the same subject.
        try {
          source = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        } catch (e) {
          throw exchangeFailure(e);
        }
      }
      const verified = source.email_verified;
      return {
        subject: claims.sub,
        email: typeof source.email === 'string' ? source.email : undefined,
        // Some issuers (Cognito's UserInfo) send the string "true".
        emailVerified: verified === true || verified === 'true',
        name: typeof source.name === 'string' ? source.name.slice(0, 200) : undefined,
      };
    },
  };
}

/** The cause of a failed discovery, in words an admin can act on (no response bodies). */
function discoveryProblem(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' || code === 'OAUTH_UNEXPECTED_RESPONSE_ISSUER')
    return 'the discovery document names another issuer; use exactly the "issuer" value it states';
  if (code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || code === 'OAUTH_INVALID_RESPONSE')
    return 'the issuer did not answer /.well-known/openid-configuration with an OpenID Provider configuration';
  if ((e as Error)?.name === 'TimeoutError' || (e as Error)?.name === 'AbortError')
    return 'the issuer did not answer in time';
  return 'the issuer could not be reached at /.well-known/openid-configuration';
}

/** Maps openid-client's failures of the callback to a code; logs only the library's error code and name. */
function exchangeFailure(e: unknown): SsoFailure {
  if (e instanceof SsoFailure) return e;
  const err = e as { name?: string; code?: string };
  logger.warn('sso code exchange failed', { error_name: err.name, error_code: err.code });
  if (e instanceof oidc.AuthorizationResponseError) return new SsoFailure('access_denied');
  if (err.name === 'TypeError' || err.name === 'TimeoutError' || err.name === 'AbortError')
    return new SsoFailure('issuer_unavailable');
  return new SsoFailure('invalid_token');
}
