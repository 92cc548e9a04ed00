// Bench child: the local runtime with its HTTP API and its aggregate consumer group (no scheduler, no SPA),
// adapters built from the environment exactly as `npm start` builds them. Started by scripts/bench/aggregate.ts.
import { config } from '../../adapters/config';
import { createAdapters } from '../../adapters';
import { startLocalRuntime } from '../../local/runtime';
import { serveCommands } from './child';

async function main(): Promise<void> {
  const adapters = createAdapters(config());
  const runtime = await startLocalRuntime(adapters, { port: 0, consumers: true, scheduler: false, web: false });
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
