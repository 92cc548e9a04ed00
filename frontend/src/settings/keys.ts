// Which listed API key is the one this session signed in with. The list never has keys, only their prefixes
// (docs/api.md#api-keys), and a key begins with its prefix.

export function isCurrentKey(listed: { prefix: string; revoked_at: string | null }, apiKey: string | null): boolean {
  return apiKey !== null && listed.revoked_at === null && listed.prefix !== '' && apiKey.startsWith(listed.prefix);
}
