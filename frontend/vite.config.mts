// Vite config for the dashboard SPA. Run from the repo root:
//   npm run dev:web    (dev server with the API proxy)
//   npm run build:web  (static build into frontend/dist, served at / by the local runtime)
import { fileURLToPath } from 'node:url';
import { defineConfig, loadEnv, type ProxyOptions } from 'vite';
import react from '@vitejs/plugin-react';

const frontendDir = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig(({ mode }) => {
  // VITE_* from frontend/.env* files and the process environment.
  const env = loadEnv(mode, frontendDir, 'VITE_');
  const apiTarget = process.env.CS_API_URL ?? 'http://127.0.0.1:3000';
  const proxy: Record<string, ProxyOptions> = Object.fromEntries(
    ['/v1', '/healthz', '/readyz'].map((path) => [path, { target: apiTarget, changeOrigin: false }]),
  );

  return {
    root: frontendDir,
    base: '/',
    plugins: [react()],
    // The root tsconfig compiles frontend/src as CommonJS, where `import.meta` is a type
    // error, so the API base URL reaches the app through a define instead of import.meta.env.
    define: {
      __CS_API_URL__: JSON.stringify(env.VITE_API_URL ?? ''),
    },
    server: { host: '127.0.0.1', port: 5173, proxy },
    preview: { host: '127.0.0.1', port: 4173, proxy },
    build: {
      outDir: fileURLToPath(new URL('./dist', import.meta.url)),
      emptyOutDir: true,
      target: 'es2022',
      sourcemap: false,
    },
  };
});
