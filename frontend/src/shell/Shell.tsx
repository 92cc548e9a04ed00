// The signed-in app: top bar (navigation, freshness from GET /v1/status, live toggle, scope, sign out) and the routed screen.
import { useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { statusQueries } from '../api/queries';
import { useAuth, useSession } from '../auth/AuthProvider';
import { LoadingState } from '../components/PanelStates';
import { LIVE_REFRESH_MS } from '../config';
import { hrefFor, useRoute, type Screen } from '../lib/router';
import { FreshnessIndicator } from './FreshnessIndicator';
import { LiveContext } from './LiveContext';
import { useIsAdmin } from './scope';

// Each screen is its own chunk: the first paint loads only the one shown.
const screens: Record<Screen, React.LazyExoticComponent<() => React.JSX.Element>> = {
  dashboards: lazy(() => import('../dashboards/DashboardsScreen')),
  explorer: lazy(() => import('../explorer/ExplorerScreen')),
  catalog: lazy(() => import('../catalog/CatalogScreen')),
  alerts: lazy(() => import('../alerts/AlertsScreen')),
  settings: lazy(() => import('../settings/SettingsScreen')),
};

const NAV: { screen: Screen; label: string }[] = [
  { screen: 'dashboards', label: 'Dashboards' },
  { screen: 'explorer', label: 'Explorer' },
  { screen: 'catalog', label: 'Catalog' },
  { screen: 'alerts', label: 'Alerts' },
  { screen: 'settings', label: 'Projects & keys' },
];

export function Shell() {
  const session = useSession();
  const { signOut } = useAuth();
  const route = useRoute();
  const [live, setLive] = useState(true);
  const isAdmin = useIsAdmin();
  const status = useQuery({ ...statusQueries.status(session), refetchInterval: live ? LIVE_REFRESH_MS : false });
  const liveState = useMemo(() => ({ live, setLive }), [live]);
  const Current = screens[route.screen];

  // Move focus to the new screen's heading region on navigation, for keyboard and screen-reader users.
  const mainRef = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus();
  }, [route.screen]);

  return (
    <LiveContext.Provider value={liveState}>
      <div className="app">
        <a className="skip-link" href="#main" onClick={(e) => (e.preventDefault(), mainRef.current?.focus())}>
          Skip to content
        </a>
        <header className="topbar">
          <div className="topbar__brand">
            <span className="brand-mark" aria-hidden="true" />
            <span className="topbar__name">CustomerSignal</span>
          </div>
          <nav className="topnav" aria-label="Main">
            {NAV.map((item) => (
              <a
                key={item.screen}
                href={hrefFor(item.screen)}
                className="topnav__link"
                aria-current={route.screen === item.screen ? 'page' : undefined}
              >
                {item.label}
              </a>
            ))}
          </nav>
          <div className="topbar__right">
            <FreshnessIndicator
              dataAsOf={status.data?.data_as_of ?? null}
              pending={status.isPending}
              error={status.isError && status.data === undefined}
            />
            <button
              type="button"
              className={live ? 'button button--live' : 'button'}
              aria-pressed={live}
              onClick={() => setLive(!live)}
            >
              <span className={live ? 'live-dot live-dot--on' : 'live-dot'} aria-hidden="true" />
              {live ? 'Live' : 'Paused'}
            </button>
            {isAdmin !== undefined && (
              <span
                className={isAdmin ? 'badge badge--admin' : 'badge'}
                title={isAdmin ? 'This key may change configuration' : 'This key can only read'}
              >
                {isAdmin ? 'admin' : 'read-only'}
              </span>
            )}
            <button type="button" className="button button--ghost" onClick={() => signOut()}>
              Sign out
            </button>
          </div>
        </header>
        <main id="main" className="overview" ref={mainRef} tabIndex={-1}>
          <Suspense fallback={<LoadingState label="Loading…" />}>
            <Current />
          </Suspense>
        </main>
      </div>
    </LiveContext.Provider>
  );
}

export default Shell;
