// A signed-in session: an API key (development) or a person's session cookie (GET /v1/me), a client bound to it, and
// a non-secret fingerprint that scopes cached data to the key or to the person in their tenant.
import type { AccountSession } from '../api/accounts';
import { createApiClient, type ApiClient } from '../api/client';
import { apiBaseUrl } from '../config';

export interface Session {
  /** The key signed in with, or null for a person's session (the cookie is HttpOnly, never seen here). */
  apiKey: string | null;
  /** The signed-in person, their role and tenant; null for a key. */
  account: AccountSession | null;
  keyFingerprint: string;
  client: ApiClient;
  /** When this session began here (ms): requests sent before it carried an earlier credential. */
  createdAt: number;
}

/** FNV-1a, 32 bit: enough to tell keys apart in one tab's cache, and not the key itself. */
export function fingerprintKey(apiKey: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < apiKey.length; i += 1) {
    hash ^= apiKey.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `k${(hash >>> 0).toString(16).padStart(8, '0')}`;
}

export function createSession(apiKey: string): Session {
  return {
    apiKey,
    account: null,
    keyFingerprint: fingerprintKey(apiKey),
    client: createApiClient({ baseUrl: apiBaseUrl, apiKey }),
    createdAt: Date.now(),
  };
}

/** A person's session: the cookie goes along, the CSRF token on every write. */
export function createAccountSession(account: AccountSession): Session {
  return {
    apiKey: null,
    account,
    keyFingerprint: `u-${account.user.id}-${account.tenant.id}`,
    client: createApiClient({ baseUrl: apiBaseUrl, csrfToken: account.csrf_token }),
    createdAt: Date.now(),
  };
}

/** Calls that need no credential (sign-in, sign-up, reset, GET /v1/me); the cookie goes along where there is one. */
export const publicClient: ApiClient = createApiClient({ baseUrl: apiBaseUrl });

/** People paste keys with whitespace, quotes or a "Bearer " prefix copied from a curl line. */
export function normalizeApiKey(input: string): string {
  return input
    .trim()
    .replace(/^bearer\s+/i, '')
    .replace(/^(["'])(.*)\1$/, '$2')
    .trim();
}
