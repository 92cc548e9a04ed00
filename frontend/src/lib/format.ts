// Display formatting for times and numbers: numbers in the viewer's locale, times in the display zone, which is the
// tenant's (set once by the shell from GET /v1/tenant, see shell/TimeZoneProvider.tsx; UTC until known).
import { FALLBACK_ZONE } from './timezone';

let displayZone = FALLBACK_ZONE;
const formats = new Map<string, Intl.DateTimeFormat>();

/** The zone every formatted time is in. Called by the shell before it renders any screen. */
export function setDisplayZone(zone: string): void {
  displayZone = zone;
}

export function getDisplayZone(): string {
  return displayZone;
}

type Style = 'clock' | 'shortClock' | 'dateTime' | 'shortDate' | 'dayTime';

const STYLES: Record<Style, Intl.DateTimeFormatOptions> = {
  clock: { hour: '2-digit', minute: '2-digit', second: '2-digit' },
  shortClock: { hour: '2-digit', minute: '2-digit' },
  dateTime: { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' },
  shortDate: { month: 'short', day: 'numeric' },
  dayTime: { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' },
};

function formatOf(style: Style, zone: string): Intl.DateTimeFormat {
  const key = `${style}|${zone}`;
  let format = formats.get(key);
  if (format === undefined) {
    format = new Intl.DateTimeFormat(undefined, { ...STYLES[style], timeZone: zone });
    formats.set(key, format);
  }
  return format;
}

function formatWith(style: Style, iso: string, zone = displayZone): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : formatOf(style, zone).format(ms);
}

const numberFormat = new Intl.NumberFormat();

/** 14:03:27 */
export const formatClock = (iso: string, zone?: string): string => formatWith('clock', iso, zone);
/** 14:03 — chart axis ticks. */
export const formatShortClock = (iso: string, zone?: string): string => formatWith('shortClock', iso, zone);
/** Nov 27 — axis ticks of daily buckets. */
export const formatShortDate = (iso: string, zone?: string): string => formatWith('shortDate', iso, zone);
/** Nov 27, 14:03 — axis ticks of ranges longer than a day. */
export const formatDayTime = (iso: string, zone?: string): string => formatWith('dayTime', iso, zone);
/** Nov 27, 2026, 14:03:27 */
export const formatDateTime = (iso: string, zone?: string): string => formatWith('dateTime', iso, zone);

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
