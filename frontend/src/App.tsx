// Top-level routing by auth state: the invite, reset and e-mail confirmation links' pages, sign-in, sign-up, "forgot password", or the
// (lazily loaded) app shell.
import { lazy, Suspense } from 'react';
import { useAuth } from './auth/AuthProvider';
import {
  AcceptInviteScreen,
  ForgotPasswordScreen,
  ResetPasswordScreen,
  SignUpScreen,
  VerifyEmailScreen,
} from './auth/PublicPages';
import { usePublicScreen } from './auth/publicRoute';
import { SignInScreen } from './auth/SignInScreen';
import { LoadingState } from './components/PanelStates';

// The shell and its screens pull in recharts; the sign-in screen should not wait for them.
const Shell = lazy(() => import('./shell/Shell'));

export function App() {
  const { session, checking } = useAuth();
  const screen = usePublicScreen();
  // A link from an e-mail is followed whoever is signed in: it is about the person who opened it.
  if (screen === 'accept') return <AcceptInviteScreen />;
  if (screen === 'reset') return <ResetPasswordScreen />;
  if (screen === 'verify') return <VerifyEmailScreen />;
  if (checking) return <LoadingState label="Loading…" />;
  if (session === null) {
    if (screen === 'signup') return <SignUpScreen />;
    if (screen === 'forgot') return <ForgotPasswordScreen />;
    return <SignInScreen />;
  }
  return (
    <Suspense fallback={<LoadingState label="Loading dashboard…" />}>
      {/* Remount per key or person so no state of a previous session survives. */}
      <Shell key={session.keyFingerprint} />
    </Suspense>
  );
}
