// The JSON text of API answers (json() in middleware.ts). Answers that repeat large parts unchanged, request after
// request, mark them so that their text is made once (functions/query/breakdown.ts: a cached breakdown's series).
/** Values marked by serializeOnce, with their JSON text once it has been made. */
const onceTexts = new WeakMap<object, string | null>();

/**
 * Marks a value that answers share unchanged, request after request (a cached breakdown's series), so that its JSON
 * text is made once for its lifetime, where it is a field of an answer's top-level object. The value must never be
 * changed after: the text is not made again.
 */
export function serializeOnce<T extends object>(value: T): T {
  if (!onceTexts.has(value)) onceTexts.set(value, null);
  return value;
}

/** JSON.stringify(body), with the texts of top-level fields marked by serializeOnce made once and reused. */
export function jsonText(body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || 'toJSON' in body) return JSON.stringify(body);
  const fields = Object.entries(body as Record<string, unknown>);
  if (!fields.some(([, v]) => v !== null && typeof v === 'object' && onceTexts.has(v))) return JSON.stringify(body);
  const out: string[] = [];
  for (const [k, v] of fields) {
    let text: string | null | undefined;
    if (v !== null && typeof v === 'object' && onceTexts.has(v)) {
      text = onceTexts.get(v);
      if (text === null) onceTexts.set(v, (text = JSON.stringify(v)));
    } else text = JSON.stringify(v);
    // As JSON.stringify: fields whose value has no JSON (undefined, functions, symbols) are left out.
    if (text !== undefined) out.push(`${JSON.stringify(k)}:${text}`);
  }
  return `{${out.join(',')}}`;
}
