// Holds the signed-in session: a person's session cookie (asked of GET /v1/me on load; 401 means signed out) or, for
// development, an API key. Signs out (and forgets all cached data) on request or when the API starts answering 401
// mid-session (session ended, key revoked), with a notice for the sign-in screen.
import { useQueryClient, type QueryKey } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { accountsApi, type AccountSession } from '../api/accounts';
import { isApiError } from '../api/client';
import { clearApiKey, loadApiKey, saveApiKey } from './keyStorage';
import { createAccountSession, createSession, publicClient, type Session } from './session';

interface AuthState {
  session: Session | null;
  /** True while GET /v1/me is asked on load. */
  checking: boolean;
  /** Why the user was signed out, shown on the sign-in screen. */
  notice: string | null;
  signIn: (apiKey: string) => void;
  /** After sign-up, login, accepting an invite: the session the server answered with. */
  signInAs: (account: AccountSession) => void;
  /** After a password change: the new session (new CSRF token), same person, cache kept. */
  replaceAccount: (account: AccountSession) => void;
  signOut: (notice?: string) => Promise<void>;
}

const AuthContext = createContext<AuthState | null>(null);

const ENDED_NOTICE = {
  key: 'The API no longer accepts this key (unknown or revoked). Sign in with another key.',
  account: 'Your session has ended (signed out, expired or your access changed). Sign in again.',
};

/** Mutations of the public screens (a wrong password at sign-in) answer 401 too: they are not a session ending. */
export const PUBLIC_MUTATION = { public: true } as const;

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [session, setSession] = useState<Session | null>(() => {
    const key = loadApiKey();
    return key === null ? null : createSession(key);
  });
  const [checking, setChecking] = useState(session === null);
  const [notice, setNotice] = useState<string | null>(null);
  // When each query's latest request was sent (ms), across sessions: see the 401 handling below.
  const [fetchStartedAt] = useState(() => new Map<string, number>());

  // On load: is there a session cookie? (HttpOnly: only the server can tell.)
  useEffect(() => {
    if (!checking) return undefined;
    const abort = new AbortController();
    accountsApi
      .me(publicClient, abort.signal)
      .then((account) => setSession((current) => current ?? createAccountSession(account)))
      .catch((error: unknown) => {
        if (abort.signal.aborted) return;
        if (!isApiError(error) || error.status !== 401)
          setNotice(`Could not check whether you are signed in: ${isApiError(error) ? error.message : String(error)}`);
      })
      .finally(() => {
        if (!abort.signal.aborted) setChecking(false);
      });
    return () => abort.abort();
  }, [checking]);

  const signIn = useCallback(
    (key: string) => {
      queryClient.clear();
      saveApiKey(key);
      setNotice(null);
      setSession(createSession(key));
    },
    [queryClient],
  );

  const signInAs = useCallback(
    (account: AccountSession) => {
      queryClient.clear();
      clearApiKey();
      setNotice(null);
      setSession(createAccountSession(account));
    },
    [queryClient],
  );

  const replaceAccount = useCallback((account: AccountSession) => setSession(createAccountSession(account)), []);

  const forget = useCallback(
    (reason?: string) => {
      clearApiKey();
      queryClient.clear();
      setNotice(reason ?? null);
      setSession(null);
    },
    [queryClient],
  );

  const signOut = useCallback(
    async (reason?: string) => {
      // The server ends the session (a copy of the cookie stops working) and clears the cookie; waited for, so a
      // sign-in right after never has its new cookie cleared by this answer.
      if (session?.account) await accountsApi.logout(session.client).catch(() => undefined);
      forget(reason);
    },
    [session, forget],
  );

  useEffect(() => {
    if (session === null) return undefined;
    const ended = session.account ? ENDED_NOTICE.account : ENDED_NOTICE.key;
    // A password change ends the cookie every request in flight carries and answers with a new one: a 401 of a
    // request sent before the new session arrived (the live status poll, say) is not the session ending. Such
    // queries are held while the change is pending and asked again once it settled (a 401 then is the real thing).
    const replacing = () => queryClient.isMutating({ predicate: (m) => m.meta?.replacesSession === true }) > 0;
    const held = new Map<string, QueryKey>();
    const askAgain = (queryKey: QueryKey) => void queryClient.invalidateQueries({ queryKey, exact: true });
    // Not inside the cache's notification: clearing the cache from there is re-entrant.
    const unsubscribeQueries = queryClient.getQueryCache().subscribe((event) => {
      if (event.type !== 'updated') return;
      const { query, action } = event;
      if (action.type === 'fetch') fetchStartedAt.set(query.queryHash, Date.now());
      if (action.type !== 'error' || !isApiError(action.error) || action.error.status !== 401) return;
      const startedAt = fetchStartedAt.get(query.queryHash) ?? 0;
      queueMicrotask(() => {
        if (replacing()) held.set(query.queryHash, query.queryKey);
        else if (startedAt < session.createdAt) askAgain(query.queryKey);
        else forget(ended);
      });
    });
    const unsubscribeMutations = queryClient.getMutationCache().subscribe((event) => {
      if (event.type !== 'updated') return;
      const { mutation, action } = event;
      if (mutation.meta?.replacesSession === true && (action.type === 'success' || action.type === 'error'))
        queueMicrotask(() => {
          for (const queryKey of held.values()) askAgain(queryKey);
          held.clear();
        });
      if (action.type !== 'error' || mutation.meta?.public === true) return;
      if (isApiError(action.error) && action.error.status === 401) queueMicrotask(() => forget(ended));
    });
    return () => {
      unsubscribeQueries();
      unsubscribeMutations();
    };
  }, [session, queryClient, forget, fetchStartedAt]);

  const value = useMemo<AuthState>(
    () => ({ session, checking, notice, signIn, signInAs, replaceAccount, signOut }),
    [session, checking, notice, signIn, signInAs, replaceAccount, signOut],
  );
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
