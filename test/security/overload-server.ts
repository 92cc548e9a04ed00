// The overload suite's server: the local runtime (HTTP API and the aggregate consumer) alone in a child process,
// configured from the environment like `npm start`, so its RSS and latency are its own. Talks over IPC.
import { config } from '../../adapters/config';
import { createAdapters } from '../../adapters';
import { startLocalRuntime } from '../../local/runtime';

async function main(): Promise<void> {
  const adapters = createAdapters(config());
  const runtime = await startLocalRuntime(adapters, { port: 0, web: false, scheduler: false, consumers: true });
  process.on('message', (m) => {
    if (m !== 'stop') return;
    void runtime
      .stop()
      .then(() => adapters.close())
      .finally(() => process.exit(0));
  });
  process.send?.({ type: 'ready', url: runtime.url });
}

main().catch((e: unknown) => {
  process.stderr.write(`overload server failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
