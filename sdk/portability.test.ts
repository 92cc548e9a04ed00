// The SDK runs in browsers and in Node: its sources use web APIs only, and an idle client never keeps a
// Node process alive. (Unit project: no network — the child processes use a fake fetch.)
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const SRC = join(__dirname, 'src');
const TSX = join(__dirname, '..', 'node_modules', '.bin', 'tsx');

function runScript(
  code: string,
  timeoutMs = 20_000,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['-e', code],
      { cwd: join(__dirname, '..'), timeout: timeoutMs, env: { ...process.env, NODE_OPTIONS: '' } },
      (error, stdout, stderr) => {
        resolve({
          code: error ? ((error as { code?: number }).code ?? null) : 0,
          stdout,
          stderr,
          ms: Date.now() - started,
        });
      },
    );
  });
}

const FAKE_FETCH = `
  let calls = 0;
  const fetch = async (url, init) => {
    calls++;
    const n = JSON.parse(init.body).events.length;
    const status = process.env.FIRST_503 && calls === 1 ? 503 : 202;
    const body = status === 202 ? { accepted: n, rejected: 0, event_ids: [], errors: [] } : { error: { code: 'unavailable', message: 'x' } };
    return { status, headers: { get: (h) => (h.toLowerCase() === 'retry-after' && status === 503 ? '1' : null) }, text: async () => JSON.stringify(body) };
  };
`;

describe('portability', () => {
  it('sdk/src imports nothing from Node (no node: modules, no Buffer/process)', () => {
    for (const file of readdirSync(SRC).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const text = readFileSync(join(SRC, file), 'utf8');
      expect({
        file,
        nodeImport: /from\s+['"](node:|fs|path|crypto|http|https|os|zlib|child_process)['"]|require\(/.test(text),
      }).toEqual({ file, nodeImport: false });
    }
  });

  it('bundles for the browser platform without Node globals', async () => {
    const out = await build({
      entryPoints: [join(SRC, 'index.ts')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      minify: true,
      logLevel: 'silent',
    });
    const code = out.outputFiles[0]!.text;
    expect(code).not.toMatch(/\bBuffer\b|\bprocess\.|\brequire\(/);
    expect(code.length).toBeLessThan(20_000);
  });

  it('an idle client (events queued, interval timer pending) does not keep Node alive', async () => {
    const res = await runScript(`
      const { CustomerSignal } = require('./sdk/src');
      ${FAKE_FETCH}
      const c = new CustomerSignal({ apiKey: 'k', fetch, flushIntervalMs: 600000 });
      c.track('a');
      console.log('tracked');
    `);
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('tracked');
    expect(res.code).toBe(0);
    expect(res.ms).toBeLessThan(15_000); // far below the 10 min interval
  }, 30_000);

  it('await shutdown() keeps the process alive through a retry backoff and delivers', async () => {
    const res = await runScript(`
      process.env.FIRST_503 = '1';
      const { CustomerSignal } = require('./sdk/src');
      ${FAKE_FETCH}
      const c = new CustomerSignal({ apiKey: 'k', fetch, flushIntervalMs: 600000 });
      c.track('a');
      c.shutdown().then(() => console.log('requests=' + calls + ' accepted=' + c.stats.accepted));
    `);
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('requests=2 accepted=1');
    expect(res.code).toBe(0);
  }, 30_000);
});
