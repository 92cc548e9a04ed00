// Authenticates a request by its API key; the tenant comes from the key and nothing else.
import type { HttpEvent } from './middleware';
import { lowerCaseHeaders } from './request';
import { credentialsFromHeaders, requireScope, type Principal, type Scope } from '../../core/api-keys';
import { unauthorized } from '../../core/errors';
import type { KeyResolver } from '../../adapters/key-resolver';
import { appendLogKeys } from '../../adapters/logger';

export async function authenticate(keys: KeyResolver, event: HttpEvent, scope: Scope): Promise<Principal> {
  return authenticateKey(keys, credentialsFromHeaders(lowerCaseHeaders(event)), scope);
}

/** The same for a key found elsewhere (the Segment endpoints also take it from Basic auth or the body). */
export async function authenticateKey(keys: KeyResolver, key: string, scope: Scope): Promise<Principal> {
  const principal = await keys.resolve(key);
  if (!principal) throw unauthorized('The API key is unknown or revoked.');
  appendLogKeys({ tenant_id: principal.tenantId, key_id: principal.keyId });
  requireScope(principal, scope);
  return principal;
}
