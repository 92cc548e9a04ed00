// Entry point: query client, auth, app.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { refetchEvery, shouldRetry } from './api/retry';
import { App } from './App';
import { AuthProvider } from './auth/AuthProvider';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    // 4xx answers are final (bad key, bad query); network trouble, 5xx and 429 are retried, then polled until they
    // pass (api/retry.ts), so every panel recovers by itself after an outage.
    queries: { retry: shouldRetry, refetchInterval: refetchEvery(false), staleTime: 2_000, refetchOnWindowFocus: true },
    mutations: { retry: false },
  },
});

const container = document.getElementById('root');
if (container === null) throw new Error('index.html has no #root element');

createRoot(container).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <AuthProvider>
        <App />
      </AuthProvider>
    </QueryClientProvider>
  </StrictMode>,
);
