// parseBody refuses what Postgres cannot store, in any key or value of a configuration body
// (docs/api.md#conventions).
import { z } from 'zod';
import { parseBody } from './body-schema';
import { mapExpectedError, type MappedError } from './errors';

const schema = z.object({ name: z.string(), tags: z.record(z.string(), z.string()).optional() });
function refusal(body: unknown): MappedError {
  try {
    parseBody(schema, body);
  } catch (e) {
    const mapped = mapExpectedError(e);
    if (mapped) return mapped;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('parseBody', () => {
  it('names the field holding NUL or a lone surrogate', () => {
    expect(refusal({ name: 'a\u0000' })).toMatchObject({
      status: 400,
      code: 'invalid_body',
      message: 'name: must not contain the NUL character (U+0000).',
    });
    expect(refusal({ name: 'x', tags: { t: 'b\ud800' } }).message).toBe(
      'tags.t: must not contain a lone UTF-16 surrogate (\\ud800); send well-formed Unicode.',
    );
    expect(refusal({ name: 'x', tags: { ['k\udc00']: 'v' } }).message).toContain(
      'the key must not contain a lone UTF-16 surrogate',
    );
  });

  it('takes noncharacters and surrogate pairs', () => {
    expect(parseBody(schema, { name: '\uffff😀', tags: { ['\ufdd0']: 'x' } })).toEqual({
      name: '\uffff😀',
      tags: { ['\ufdd0']: 'x' },
    });
  });
});
