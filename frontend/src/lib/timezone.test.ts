import fc from 'fast-check';
import {
  answerZone,
  isoToZonedInput,
  isValidZone,
  timeZoneFrom,
  zoneLabel,
  zonedInputToIso,
  zoneOffsetMs,
} from './timezone';

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham'];

describe('time zones', () => {
  it('know offsets, summer and winter', () => {
    expect(zoneOffsetMs(Date.parse('2026-01-15T12:00:00Z'), 'Europe/Berlin')).toBe(3_600_000);
    expect(zoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'Europe/Berlin')).toBe(7_200_000);
    expect(zoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'Asia/Kolkata')).toBe(19_800_000);
    expect(zoneOffsetMs(Date.parse('2026-07-15T12:00:00Z'), 'UTC')).toBe(0);
  });

  it('round-trip every whole-second instant through the wall clock of each zone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('1971-01-01T00:00:00Z') / 1000, max: Date.parse('2099-12-31T00:00:00Z') / 1000 }),
        fc.constantFrom(...ZONES),
        (seconds, zone) => {
          const iso = new Date(seconds * 1000).toISOString();
          const back = zonedInputToIso(isoToZonedInput(iso, zone), zone);
          // A repeated wall hour (clocks going back) reads as its first occurrence.
          const ms = Date.parse(back);
          expect(isoToZonedInput(back, zone)).toBe(isoToZonedInput(iso, zone));
          expect(ms <= seconds * 1000).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('read a repeated hour as its first occurrence and a skipped one as after the gap', () => {
    // Berlin 2026-10-25 03:00 CEST → 02:00 CET: 02:30 happens twice.
    expect(zonedInputToIso('2026-10-25T02:30', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z');
    // Berlin 2026-03-29 02:00 CET → 03:00 CEST: 02:30 does not happen.
    expect(zonedInputToIso('2026-03-29T02:30', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
  });

  it('refuse nonsense', () => {
    expect(zonedInputToIso('', 'UTC')).toBe('');
    expect(zonedInputToIso('yesterday', 'UTC')).toBe('');
    expect(isoToZonedInput('nope', 'UTC')).toBe('');
    expect(isValidZone('Mars/Olympus')).toBe(false);
    expect(isValidZone('')).toBe(false);
    expect(isValidZone('Europe/Berlin')).toBe(true);
  });

  it('label the zone with its offset', () => {
    expect(zoneLabel('UTC', 0)).toBe('UTC');
    expect(zoneLabel('America/New_York', Date.parse('2026-01-15T12:00:00Z'))).toBe('America/New_York (UTC−05:00)');
    expect(zoneLabel('Asia/Kolkata', 0)).toBe('Asia/Kolkata (UTC+05:30)');
  });

  it('fall back to UTC, saying why, when the tenant zone is missing or unknown', () => {
    expect(timeZoneFrom({ data: { timezone: 'Europe/Berlin' }, error: null })).toEqual({
      zone: 'Europe/Berlin',
      source: 'tenant',
      reason: null,
    });
    expect(timeZoneFrom({ data: undefined, error: { status: 404 } })).toMatchObject({
      zone: 'UTC',
      source: 'fallback',
      reason: 'the API has no tenant time zone yet',
    });
    expect(timeZoneFrom({ data: { timezone: 'Mars/Olympus' }, error: null })).toMatchObject({
      zone: 'UTC',
      source: 'fallback',
    });
  });
});

describe('answerZone (the zone a metrics answer says its buckets are in)', () => {
  const tenant = { zone: 'Europe/Berlin', source: 'tenant' as const, reason: null };
  const fallback = { zone: 'UTC', source: 'fallback' as const, reason: 'the tenant time zone could not be read' };

  it('prefers the answer’s zone, even over a known tenant zone (a read racing a zone change)', () => {
    expect(answerZone({ timezone: 'America/New_York' }, tenant)).toEqual({
      zone: 'America/New_York',
      source: 'answer',
    });
    expect(answerZone({ timezone: 'Asia/Calcutta' }, fallback)).toEqual({ zone: 'Asia/Calcutta', source: 'answer' });
    expect(answerZone({ timezone: 'UTC' }, tenant)).toEqual({ zone: 'UTC', source: 'answer' });
  });

  it('falls back to the tenant’s zone (or its UTC fallback) without a usable one', () => {
    expect(answerZone({}, tenant)).toEqual({ zone: 'Europe/Berlin', source: 'tenant' });
    expect(answerZone({ timezone: '' }, tenant)).toEqual({ zone: 'Europe/Berlin', source: 'tenant' });
    expect(answerZone({ timezone: 'Mars/Olympus_Mons' }, fallback)).toEqual({ zone: 'UTC', source: 'fallback' });
  });
});
