// The dashboard takes its API types from the backend (api/types.ts) without bundling backend code: every import
// that leaves frontend/src is `import type` (erased), except modules listed here, which must import nothing.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(__dirname, '..');
const ROOT = resolve(SRC, '../..');
/** Pure, import-free backend modules the SPA bundles (shared logic, not copies). */
const BUNDLED_FROM_BACKEND = ['core/intervals.ts'];

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(join(dir, e.name))
      : /\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );

/** `import …`/`export … from` statements with their specifier; `typeOnly` when the whole statement is erased. */
function importsOf(text: string): { specifier: string; typeOnly: boolean }[] {
  return [...text.matchAll(/^(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+'([^']+)'/gms)].map((m) => ({
    specifier: m[4]!,
    typeOnly: m[2] !== undefined,
  }));
}

describe('API types and shared code from the backend', () => {
  const outside = sourceFiles(SRC).flatMap((file) =>
    importsOf(readFileSync(file, 'utf8'))
      .filter((i) => i.specifier.startsWith('.'))
      .map((i) => ({ ...i, file: relative(ROOT, file), target: relative(ROOT, resolve(dirname(file), i.specifier)) }))
      .filter((i) => i.target.startsWith('..') || !i.target.startsWith('frontend/')),
  );

  it('imports backend modules as types only, except the import-free shared ones', () => {
    const bundled = outside.filter((i) => !i.typeOnly && !BUNDLED_FROM_BACKEND.includes(`${i.target}.ts`));
    expect(bundled).toEqual([]);
  });

  it('derives the API types from the backend (the check above is not vacuous)', () => {
    expect(
      outside.some((i) => i.typeOnly && i.file === 'frontend/src/api/types.ts' && i.target.startsWith('functions/')),
    ).toBe(true);
  });

  it.each(BUNDLED_FROM_BACKEND)('bundles %s, which imports nothing', (path) => {
    expect(importsOf(readFileSync(join(ROOT, path), 'utf8'))).toEqual([]);
    expect(readFileSync(join(ROOT, path), 'utf8')).not.toMatch(/\brequire\(|\bimport\(/);
  });
});
