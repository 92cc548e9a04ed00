// Validates JSON bodies of configuration endpoints with zod, turning problems into one clear 400.
import type { z } from 'zod';
import { badRequest } from '../../core/errors';

export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
  const first = details[0]!;
  throw badRequest('invalid_body', `${first.field}: ${first.message}`, details);
}
