// Top-level routing by auth state: sign-in, or the (lazily loaded) app shell.
import { lazy, Suspense } from 'react';
import { useAuth } from './auth/AuthProvider';
import { SignInScreen } from './auth/SignInScreen';
import { LoadingState } from './components/PanelStates';

// The shell and its screens pull in recharts; the sign-in screen should not wait for them.
const Shell = lazy(() => import('./shell/Shell'));

export function App() {
  const { session } = useAuth();
  if (session === null) return <SignInScreen />;
  return (
    <Suspense fallback={<LoadingState label="Loading dashboard…" />}>
      {/* Remount per key so no state of a previous session survives. */}
      <Shell key={session.keyFingerprint} />
    </Suspense>
  );
}
