// The signed-in app: top bar (navigation by role, freshness from GET /v1/status, live toggle, role, account, sign out)
// and the routed screen.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useMemo, useRef, useState } from 'react';
import { statusQueries, tenantQueries } from '../api/queries';
import { isRetryable, refetchEvery } from '../api/retry';
import { useAuth, useSession } from '../auth/AuthProvider';
import { VerifyEmailBanner } from '../auth/VerifyEmailBanner';
import { LoadingState } from '../components/PanelStates';
import { LIVE_REFRESH_MS } from '../config';
import { formatClock, setDisplayZone } from '../lib/format';
import { hrefFor, useRoute, type Screen } from '../lib/router';
import { timeZoneFrom, zoneLabel } from '../lib/timezone';
import { useNow } from '../lib/useNow';
import { FreshnessIndicator } from './FreshnessIndicator';
import { LiveContext } from './LiveContext';
import { TimeZoneContext } from './TimeZoneContext';
import { roleAtLeast, useRole } from './scope';
import type { Role } from '../api/accounts';

// Each screen is its own chunk: the first paint loads only the one shown.
const screens: Record<Screen, React.LazyExoticComponent<() => React.JSX.Element>> = {
  dashboards: lazy(() => import('../dashboards/DashboardsScreen')),
  explorer: lazy(() => import('../explorer/ExplorerScreen')),
  funnels: lazy(() => import('../funnels/FunnelsScreen')),
  retention: lazy(() => import('../retention/RetentionScreen')),
  people: lazy(() => import('../people/PeopleScreen')),
  catalog: lazy(() => import('../catalog/CatalogScreen')),
  alerts: lazy(() => import('../alerts/AlertsScreen')),
  settings: lazy(() => import('../settings/SettingsScreen')),
  audit: lazy(() => import('../audit/AuditLogScreen')),
  members: lazy(() => import('../members/MembersScreen')),
  account: lazy(() => import('../auth/AccountScreen')),
};

/** `admin`: shown to admins and owners (and admin keys) only; `person`: to people signed in, not to keys. */
const NAV: { screen: Screen; label: string; only?: 'admin' | 'person' }[] = [
  { screen: 'dashboards', label: 'Dashboards' },
  { screen: 'explorer', label: 'Explorer' },
  { screen: 'funnels', label: 'Funnels' },
  { screen: 'retention', label: 'Retention' },
  { screen: 'people', label: 'People' },
  { screen: 'catalog', label: 'Catalog' },
  { screen: 'alerts', label: 'Alerts' },
  { screen: 'settings', label: 'Projects & keys', only: 'admin' },
  { screen: 'members', label: 'Members', only: 'admin' },
  { screen: 'account', label: 'Account', only: 'person' },
  { screen: 'audit', label: 'Audit log', only: 'admin' },
];

const ROLE_TITLES: Record<Role, string> = {
  owner: 'Owner: may do everything, including making owners',
  admin: 'Admin: may change everything but owners',
  editor: 'Editor: may change dashboards, alert rules and the catalog',
  viewer: 'Viewer: may look, not change',
};

export function Shell() {
  const session = useSession();
  const { signOut } = useAuth();
  const route = useRoute();
  const [live, setLive] = useState(true);
  const role = useRole();
  const isAdmin = roleAtLeast(role, 'admin');
  const outage = useApiOutage();
  const now = useNow(60_000);
  // Not retried: a failed poll is the outage, shown at once; the next poll (refetchEvery) is the recovery.
  const status = useQuery({
    ...statusQueries.status(session),
    retry: false,
    refetchInterval: refetchEvery(live ? LIVE_REFRESH_MS : false),
  });
  const tenant = useQuery(tenantQueries.tenant(session));
  const tz = useMemo(() => timeZoneFrom({ data: tenant.data, error: tenant.error }), [tenant.data, tenant.error]);
  // Every formatted time reads the display zone; set before any screen renders (screens remount on a change).
  setDisplayZone(tz.zone);
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
      <TimeZoneContext.Provider value={tz}>
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
              {NAV.filter(
                (item) =>
                  item.only === undefined || (item.only === 'admin' ? isAdmin === true : session.account !== null),
              ).map((item) => (
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
              {outage !== null ? (
                <p className="freshness freshness--down" role="alert">
                  <span className="freshness__dot" aria-hidden="true" />
                  API unreachable since {formatClock(new Date(outage).toISOString())} · retrying
                </p>
              ) : (
                <FreshnessIndicator
                  dataAsOf={status.data?.data_as_of ?? null}
                  pending={status.isPending}
                  error={status.isError && status.data === undefined}
                />
              )}
              <span
                className="badge"
                data-testid="time-zone"
                title={
                  tz.source === 'tenant'
                    ? 'Every time on screen is in the tenant’s time zone'
                    : `Times are shown in UTC: ${tz.reason ?? 'the tenant time zone is unknown'}`
                }
              >
                {tenant.isPending ? 'zone…' : zoneLabel(tz.zone, now)}
                {tz.source === 'fallback' && !tenant.isPending && ' (fallback)'}
              </span>
              <button
                type="button"
                className={live && outage === null ? 'button button--live' : 'button'}
                aria-pressed={live}
                onClick={() => setLive(!live)}
              >
                <span className={live && outage === null ? 'live-dot live-dot--on' : 'live-dot'} aria-hidden="true" />
                {outage !== null ? 'Offline' : live ? 'Live' : 'Paused'}
              </button>
              {session.account !== null ? (
                <span
                  className={isAdmin ? 'badge badge--admin' : 'badge'}
                  data-testid="role"
                  title={`${session.account.user.email} in ${session.account.tenant.name}. ${ROLE_TITLES[session.account.role]}`}
                >
                  {session.account.role}
                </span>
              ) : (
                isAdmin !== undefined && (
                  <span
                    className={isAdmin ? 'badge badge--admin' : 'badge'}
                    title={isAdmin ? 'This key may change configuration' : 'This key can only read'}
                  >
                    {isAdmin ? 'admin' : 'read-only'}
                  </span>
                )
              )}
              <button type="button" className="button button--ghost" onClick={() => void signOut()}>
                Sign out
              </button>
            </div>
          </header>
          <VerifyEmailBanner />
          <main id="main" className="overview" ref={mainRef} tabIndex={-1}>
            {tenant.isPending ? (
              <LoadingState label="Loading…" />
            ) : (
              <Suspense fallback={<LoadingState label="Loading…" />}>
                <Current key={tz.zone} />
              </Suspense>
            )}
          </main>
        </div>
      </TimeZoneContext.Provider>
    </LiveContext.Provider>
  );
}

/**
 * When the API is down: since when (ms), or null. Any query failing with a retryable error (network, 5xx, 429) marks
 * it at its first failed attempt, any success clears it; then the queries that failed meanwhile are asked again.
 */
function useApiOutage(): number | null {
  const queryClient = useQueryClient();
  const [since, setSince] = useState<number | null>(null);
  useEffect(
    () =>
      queryClient.getQueryCache().subscribe((event) => {
        if (event.type !== 'updated') return;
        const { action } = event;
        if ((action.type === 'failed' || action.type === 'error') && isRetryable(action.error))
          setSince((current) => current ?? Date.now());
        else if (action.type === 'success') setSince(null);
      }),
    [queryClient],
  );
  const down = since !== null;
  const wasDown = useRef(false);
  useEffect(() => {
    if (wasDown.current && !down)
      void queryClient.refetchQueries({ predicate: (query) => query.state.status === 'error' });
    wasDown.current = down;
  }, [down, queryClient]);
  return since;
}

export default Shell;
