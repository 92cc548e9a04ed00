// Top-level routing by auth state: sign-in, or the (lazily loaded) overview.
import { lazy, Suspense } from 'react';
import { useAuth } from './auth/AuthProvider';
import { SignInScreen } from './auth/SignInScreen';
import { LoadingState } from './components/PanelStates';

// The overview pulls in recharts; the sign-in screen should not wait for it.
const OverviewScreen = lazy(() => import('./overview/OverviewScreen'));

export function App() {
  const { session } = useAuth();
  if (session === null) return <SignInScreen />;
  return (
    <Suspense fallback={<LoadingState label="Loading dashboard…" />}>
      {/* Remount per key so no state of a previous session survives. */}
      <OverviewScreen key={session.keyFingerprint} />
    </Suspense>
  );
}
