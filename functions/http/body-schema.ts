// Validates JSON bodies of configuration endpoints with zod, turning problems into one clear 400.
import type { z } from 'zod';
import { badRequest } from '../../core/errors';
import { unstorableChar } from '../../core/event-validation';

/**
 * The first string (key or value) that Postgres cannot store in text or jsonb: U+0000, or a lone UTF-16 surrogate
 * (jsonb refuses its escape); iterative, any depth. Returns its path and what is wrong.
 */
function unstorable(body: unknown): { path: string; problem: string } | undefined {
  const stack: [unknown, string][] = [[body, '(body)']];
  const check = (s: string, path: string) => {
    const ch = unstorableChar(s);
    if (ch === undefined) return undefined;
    return {
      path,
      problem:
        ch === '\u0000'
          ? 'must not contain the NUL character (U+0000)'
          : `must not contain a lone UTF-16 surrogate (${JSON.stringify(ch).slice(1, -1)}); send well-formed Unicode`,
    };
  };
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const found = check(v, path);
      if (found) return found;
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        const p = path === '(body)' ? k : `${path}.${k}`;
        const found = check(k, p);
        if (found) return { path: p, problem: `the key ${found.problem}` };
        stack.push([child, p]);
      }
    }
  }
  return undefined;
}

export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const bad = unstorable(body);
  if (bad !== undefined) {
    const field = JSON.stringify(bad.path).slice(1, -1);
    throw badRequest('invalid_body', `${field}: ${bad.problem}.`, [{ field, message: bad.problem }]);
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
  const first = details[0]!;
  throw badRequest('invalid_body', `${first.field}: ${first.message}`, details);
}
