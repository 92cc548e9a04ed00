import {
  credentialsFromHeaders,
  generateApiKey,
  hashApiKey,
  hashesEqual,
  keyPrefix,
  looksLikeApiKey,
  parseScopes,
  requireScope,
} from './api-keys';
import { AppError } from './errors';

describe('API keys', () => {
  it('generates distinct keys whose hash, not the key, identifies them', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.key).not.toBe(b.key);
    expect(looksLikeApiKey(a.key)).toBe(true);
    expect(a.prefix).toBe(keyPrefix(a.key));
    expect(a.key.startsWith(a.prefix)).toBe(true);
    expect(hashesEqual(hashApiKey(a.key), a.hash)).toBe(true);
    expect(hashesEqual(hashApiKey(b.key), a.hash)).toBe(false);
    expect(a.hash.toString('hex')).not.toContain(a.key);
  });

  it('parses scopes and names a bad one', () => {
    expect(parseScopes('read, ingest,read')).toEqual(['read', 'ingest']);
    expect(() => parseScopes('read,write')).toThrow('got "write"');
    expect(() => parseScopes('')).toThrow('one or more');
  });
});

describe('credentialsFromHeaders', () => {
  const status = (headers: Record<string, string>) => {
    try {
      credentialsFromHeaders(headers);
      return 'ok';
    } catch (e) {
      return `${(e as AppError).kind} ${(e as AppError).code}`;
    }
  };

  it('reads a Bearer token or X-Api-Key', () => {
    expect(credentialsFromHeaders({ authorization: 'Bearer cs_abc' })).toBe('cs_abc');
    expect(credentialsFromHeaders({ 'x-api-key': 'cs_abc' })).toBe('cs_abc');
    expect(credentialsFromHeaders({ authorization: 'bearer cs_abc', 'x-api-key': 'cs_abc' })).toBe('cs_abc');
  });

  it('refuses missing, malformed and ambiguous credentials', () => {
    expect(status({})).toBe('unauthorized unauthorized');
    expect(status({ authorization: 'Basic abc' })).toBe('unauthorized unauthorized');
    expect(status({ authorization: 'Bearer a', 'x-api-key': 'b' })).toBe('invalid ambiguous_credentials');
  });
});

describe('requireScope', () => {
  const principal = (scopes: ('ingest' | 'read' | 'admin')[]) => ({
    tenantId: 't',
    keyId: 'k',
    scopes,
    projectId: null,
    projectSlug: null,
  });
  it('lets admin do everything and others only their scope', () => {
    expect(() => requireScope(principal(['admin']), 'ingest')).not.toThrow();
    expect(() => requireScope(principal(['ingest']), 'ingest')).not.toThrow();
    expect(() => requireScope(principal(['read']), 'ingest')).toThrow(expect.objectContaining({ kind: 'forbidden' }));
  });
});
