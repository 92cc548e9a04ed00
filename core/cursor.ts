// Opaque keyset cursor of the event explorer: position (timestamp desc, event_id desc) plus the pinned moment.
import { badRequest } from './errors';
import { unstorableChar } from './event-validation';

export interface ExplorerCursor {
  /** Only events stored at or before this moment (ISO with microseconds, from Postgres) are listed. */
  pinnedAt: string;
  /** The last row of the previous page. */
  lastTimestamp: string;
  lastEventId: string;
}

export function encodeCursor(c: ExplorerCursor): string {
  return Buffer.from(JSON.stringify([1, c.pinnedAt, c.lastTimestamp, c.lastEventId]), 'utf8').toString('base64url');
}

/** The 400 of a cursor this API did not return (or that was changed). */
export const invalidCursor = () =>
  badRequest('invalid_cursor', 'cursor is not one this API returned; start again without cursor.');

/** The JSON array an opaque base64url cursor holds, with `length` items and `version` first; else invalidCursor. */
export function decodeCursorArray(raw: string, version: unknown, length: number): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== length || parsed[0] !== version) throw invalidCursor();
  return parsed as unknown[];
}

export function decodeCursor(raw: string): ExplorerCursor {
  const invalid = invalidCursor;
  const parsed = decodeCursorArray(raw, 1, 4);
  const [, pinnedAt, lastTimestamp, lastEventId] = parsed;
  if (typeof pinnedAt !== 'string' || typeof lastTimestamp !== 'string' || typeof lastEventId !== 'string')
    throw invalid();
  // Only what encodeCursor writes: ISO-8601 UTC times of years 0001-9999 and an event id Postgres can store (no NUL or lone surrogate; a forged
  // cursor must get this 400, not reach the database).
  if (!isCursorTime(pinnedAt) || !isCursorTime(lastTimestamp)) throw invalid();
  if (lastEventId.length > 512 || unstorableChar(lastEventId) !== undefined) throw invalid();
  return { pinnedAt, lastTimestamp, lastEventId };
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z$/;

/** An ISO-8601 UTC time as Postgres and encodeCursor write it (years 0001-9999, up to microseconds); shared with core/event-export.ts. */
export function isCursorTime(v: string): boolean {
  if (!CURSOR_TIME.test(v) || v.startsWith('0000')) return false;
  const ms = Date.parse(v);
  // Date.parse accepts 2026-02-30 (as March 2): the text must be the time it denotes.
  return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === v.slice(0, 19);
}
