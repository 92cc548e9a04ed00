// A tiny hash router: "#/explorer?event_type=signup" → { screen: 'explorer', params }.
// Hash routes need no server fallback and survive reloads on any static host.
import { useEffect, useState } from 'react';

export const SCREENS = [
  'dashboards',
  'explorer',
  'funnels',
  'retention',
  'people',
  'catalog',
  'alerts',
  'settings',
  'audit',
  'members',
  'account',
] as const;
export type Screen = (typeof SCREENS)[number];

export interface Route {
  screen: Screen;
  params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const body = hash.replace(/^#\/?/, '');
  const [path = '', search = ''] = body.split('?', 2) as [string?, string?];
  const screen = (SCREENS as readonly string[]).includes(path) ? (path as Screen) : 'dashboards';
  return { screen, params: new URLSearchParams(search) };
}

/** "#/explorer?event_type=signup"; empty or absent params are left out. */
export function hrefFor(
  screen: Screen,
  params: Record<string, string | readonly string[] | undefined | null> | URLSearchParams = {},
): string {
  const search = new URLSearchParams();
  const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params);
  for (const [name, value] of entries) {
    if (value === undefined || value === null) continue;
    for (const item of typeof value === 'string' ? [value] : value) if (item !== '') search.append(name, item);
  }
  const qs = search.toString();
  return `#/${screen}${qs === '' ? '' : `?${qs}`}`;
}

export function navigate(href: string): void {
  window.location.hash = href.replace(/^#/, '');
}

export function useRoute(): Route {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return parseHash(hash);
}

/** The person page of an id (any of a person's ids opens the person), in a project (people are per project). */
export const personHref = (id: string, project?: string | null): string => hrefFor('people', { id, project });
