// Times on screen are in the tenant's zone (GET /v1/tenant → "timezone", docs/api.md), never the viewer's: a
// bucket "10:00" on a chart, a row in the explorer and the From/To inputs all name the same wall clock.
// Pure conversions between UTC instants and wall-clock text in an IANA zone, with Intl only (no library).

export const FALLBACK_ZONE = 'UTC';

/** Whether Intl knows the zone (an unknown one throws a RangeError). */
export function isValidZone(zone: string): boolean {
  if (zone === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const partsFormats = new Map<string, Intl.DateTimeFormat>();

function partsFormat(zone: string): Intl.DateTimeFormat {
  let format = partsFormats.get(zone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    partsFormats.set(zone, format);
  }
  return format;
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function wallClock(ms: number, zone: string): WallClock {
  const parts: Record<string, number> = {};
  for (const p of partsFormat(zone).formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour! % 24,
    minute: parts.minute!,
    second: parts.second!,
  };
}

/** The zone's offset from UTC at the instant `ms`, in ms (Europe/Berlin in winter: +3 600 000). */
export function zoneOffsetMs(ms: number, zone: string): number {
  const w = wallClock(ms, zone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** An instant → the value of an <input type="datetime-local"> showing the zone's wall clock ("2026-11-27T11:00:00"). */
export function isoToZonedInput(iso: string, zone: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const w = wallClock(ms, zone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

/**
 * A datetime-local value read as the zone's wall clock → ISO (UTC); '' or nonsense → ''. A wall time that occurs
 * twice (clocks going back) is the first of the two; one that does not occur (clocks going forward) moves forward
 * by the gap, as the zone's own clocks do.
 */
export function zonedInputToIso(value: string, zone: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!m) return '';
  const [, y, mo, d, h, mi, s] = m;
  const asUtc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  if (Number.isNaN(asUtc)) return '';
  // Two candidates: the offsets just before and after; the earlier one whose wall clock matches wins.
  const candidates = [...new Set([zoneOffsetMs(asUtc - 86_400_000, zone), zoneOffsetMs(asUtc + 86_400_000, zone)])]
    .map((offset) => asUtc - offset)
    .sort((a, b) => a - b);
  for (const ms of candidates) if (zoneOffsetMs(ms, zone) === asUtc - ms) return new Date(ms).toISOString();
  // In a gap: the later offset applied (e.g. 02:30 on a spring-forward night → 03:30).
  const ms = asUtc - zoneOffsetMs(asUtc - 86_400_000, zone);
  return new Date(ms).toISOString();
}

/** "UTC", "Europe/Berlin (UTC+01:00)" at the instant `ms`. */
export function zoneLabel(zone: string, ms: number): string {
  if (zone === 'UTC' || zone === 'Etc/UTC') return 'UTC';
  const offset = zoneOffsetMs(ms, zone) / 60_000;
  const sign = offset < 0 ? '−' : '+';
  const abs = Math.abs(offset);
  return `${zone} (UTC${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)})`;
}

export interface TimeZoneState {
  zone: string;
  /** 'tenant': from GET /v1/tenant; 'fallback': UTC because the tenant's zone could not be read (why in `reason`). */
  source: 'tenant' | 'fallback';
  reason: string | null;
}

/** The zone state from the tenant query's result. */
export function timeZoneFrom(result: { data?: { timezone: string }; error: unknown }): TimeZoneState {
  if (result.data !== undefined) {
    if (isValidZone(result.data.timezone)) return { zone: result.data.timezone, source: 'tenant', reason: null };
    return {
      zone: FALLBACK_ZONE,
      source: 'fallback',
      reason: `this browser does not know the zone ${result.data.timezone}`,
    };
  }
  const status = (result.error as { status?: number } | null)?.status;
  return {
    zone: FALLBACK_ZONE,
    source: 'fallback',
    reason: status === 404 ? 'the API has no tenant time zone yet' : 'the tenant time zone could not be read',
  };
}

/**
 * The zone a metrics answer's buckets are in: the `timezone` the answer names (docs/api.md#time-zones), which is
 * what its 1h/1d buckets were cut in even while the tenant's zone is changing; the tenant's (GET /v1/tenant)
 * when the answer names none or one this browser does not know. `source` says which.
 */
export function answerZone(
  answer: { timezone?: string },
  tenant: TimeZoneState,
): { zone: string; source: 'answer' | TimeZoneState['source'] } {
  const named = answer.timezone;
  if (named !== undefined && isValidZone(named)) return { zone: named, source: 'answer' };
  return { zone: tenant.zone, source: tenant.source };
}
