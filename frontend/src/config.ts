// Build-time configuration of the dashboard, read once here and nowhere else.

function normalizeBaseUrl(raw: string): string {
  return raw.trim().replace(/\/+$/, '');
}

/**
 * Base URL of the API. Empty means same origin (the local runtime serves both the SPA and
 * the API, and `npm run dev:web` proxies /v1 to it), so no CORS is involved by default.
 * `typeof` keeps this module importable where the Vite define is absent (unit tests).
 */
export const apiBaseUrl: string = normalizeBaseUrl(typeof __CS_API_URL__ === 'string' ? __CS_API_URL__ : '');

/** Where examples (the curl hint) should point producers. */
export function publicApiOrigin(): string {
  return apiBaseUrl !== '' ? apiBaseUrl : window.location.origin;
}

/** Live refresh of charts, status, alert states. */
export const LIVE_REFRESH_MS = 5_000;
