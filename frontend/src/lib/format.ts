// Display formatting for times and numbers, in the viewer's locale and time zone.

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const shortClockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const numberFormat = new Intl.NumberFormat();

function formatWith(format: Intl.DateTimeFormat, iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : format.format(ms);
}

/** 14:03:27 */
export const formatClock = (iso: string): string => formatWith(clockFormat, iso);
/** 14:03 — chart axis ticks. */
export const formatShortClock = (iso: string): string => formatWith(shortClockFormat, iso);
/** Nov 27, 2026, 14:03:27 */
export const formatDateTime = (iso: string): string => formatWith(dateTimeFormat, iso);

export function formatNumber(value: number): string {
  return numberFormat.format(value);
}

/** "just now", "12 s ago", "3 min ago", "2 h ago"; future times (clock skew) count as now. */
export function formatAgo(elapsedMs: number): string {
  const seconds = Math.floor(Math.max(0, elapsedMs) / 1000);
  if (seconds < 1) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} d ago`;
}

/** The earliest of some ISO times (null if none is a valid time). */
export function oldestTime(times: readonly (string | null | undefined)[]): string | null {
  let oldest: { iso: string; ms: number } | null = null;
  for (const iso of times) {
    if (iso === null || iso === undefined) continue;
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) continue;
    if (oldest === null || ms < oldest.ms) oldest = { iso, ms };
  }
  return oldest?.iso ?? null;
}
