// Holds the signed-in session; signs out (and forgets all cached data) on request or when
// the API starts answering 401 to the key mid-session (revoked).
import { useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { isApiError } from '../api/client';
import { clearApiKey, loadApiKey, saveApiKey } from './keyStorage';
import { createSession, type Session } from './session';

interface AuthState {
  session: Session | null;
  /** Why the user was signed out, shown on the sign-in screen. */
  notice: string | null;
  signIn: (apiKey: string) => void;
  signOut: (notice?: string) => void;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [apiKey, setApiKey] = useState<string | null>(loadApiKey);
  const [notice, setNotice] = useState<string | null>(null);

  const signIn = useCallback(
    (key: string) => {
      queryClient.clear();
      saveApiKey(key);
      setNotice(null);
      setApiKey(key);
    },
    [queryClient],
  );

  const signOut = useCallback(
    (reason?: string) => {
      clearApiKey();
      queryClient.clear();
      setNotice(reason ?? null);
      setApiKey(null);
    },
    [queryClient],
  );

  useEffect(() => {
    if (apiKey === null) return undefined;
    return queryClient.getQueryCache().subscribe((event) => {
      if (event.type !== 'updated' || event.action.type !== 'error') return;
      const { error } = event.action;
      if (isApiError(error) && error.status === 401) {
        // Not inside the cache's notification: clearing the cache from there is re-entrant.
        queueMicrotask(() =>
          signOut('The API no longer accepts this key (unknown or revoked). Sign in with another key.'),
        );
      }
    });
  }, [apiKey, queryClient, signOut]);

  const session = useMemo(() => (apiKey === null ? null : createSession(apiKey)), [apiKey]);
  const value = useMemo<AuthState>(() => ({ session, notice, signIn, signOut }), [session, notice, signIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (state === null) throw new Error('useAuth must be used inside <AuthProvider>');
  return state;
}

/** The current session; only for screens rendered after sign-in. */
export function useSession(): Session {
  const { session } = useAuth();
  if (session === null) throw new Error('useSession needs a signed-in user');
  return session;
}
