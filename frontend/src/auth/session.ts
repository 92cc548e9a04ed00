// A signed-in session: the API key, a client bound to it, and a non-secret fingerprint
// that scopes cached data to the key (and so to its tenant).
import { createApiClient, type ApiClient } from '../api/client';
import { apiBaseUrl } from '../config';

export interface Session {
  apiKey: string;
  keyFingerprint: string;
  client: ApiClient;
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
  return { apiKey, keyFingerprint: fingerprintKey(apiKey), client: createApiClient({ baseUrl: apiBaseUrl, apiKey }) };
}

/** People paste keys with whitespace, quotes or a "Bearer " prefix copied from a curl line. */
export function normalizeApiKey(input: string): string {
  return input
    .trim()
    .replace(/^bearer\s+/i, '')
    .replace(/^(["'])(.*)\1$/, '$2')
    .trim();
}
