// Validates JSON bodies of configuration endpoints with zod, turning problems into one clear 400.
import type { z } from 'zod';
import { badRequest } from '../../core/errors';

/** Where a string (key or value) holds U+0000, which Postgres cannot store in text or jsonb; iterative, any depth. */
function nulPath(body: unknown): string | undefined {
  const stack: [unknown, string][] = [[body, '(body)']];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (v.includes('\u0000')) return path;
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        const p = path === '(body)' ? k : `${path}.${k}`;
        if (k.includes('\u0000')) return p;
        stack.push([child, p]);
      }
    }
  }
  return undefined;
}

export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const nul = nulPath(body);
  if (nul !== undefined) throw badRequest('invalid_body', `${nul}: must not contain the NUL character (U+0000).`, [{ field: nul, message: 'must not contain the NUL character (U+0000)' }]);
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
  const first = details[0]!;
  throw badRequest('invalid_body', `${first.field}: ${first.message}`, details);
}
