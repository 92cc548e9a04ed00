// Bench child: the local runtime with the roles of `npm start -- --only <roles>` (local/roles.ts) named in BENCH_ROLES,
// by default `http,aggregate` (its HTTP API and its aggregate consumer group); never a scheduler, an SMTP sink or the
// SPA. Adapters built from the environment exactly as `npm start` builds them. With `aggregate` only, the process
// has no HTTP listener (its url is ''): one more worker in the consumer group, like `npm start -- --only aggregate`.
// Started by scripts/bench/aggregate.ts and pipeline.ts.
import { config } from '../../adapters/config';
import { createAdapters } from '../../adapters';
import { startLocalRuntime } from '../../local/runtime';
import { parseStartArgs, runtimeOptions } from '../../local/roles';
import { serveCommands } from './child';

async function main(): Promise<void> {
  const { roles } = parseStartArgs(['--only', process.env.BENCH_ROLES || 'http,aggregate']);
  const adapters = createAdapters(config());
  const runtime = await startLocalRuntime(adapters, { ...runtimeOptions(roles), port: 0, web: false });
  serveCommands({
    url: runtime.url,
    stop: async () => {
      await runtime.stop();
      await adapters.close();
    },
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`aggregate-server failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
