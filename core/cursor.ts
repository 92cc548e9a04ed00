// Opaque keyset cursor of the event explorer: position (timestamp desc, event_id desc) plus the pinned moment.
import { HttpError } from './errors';

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

export function decodeCursor(raw: string): ExplorerCursor {
  const invalid = () => new HttpError(400, 'invalid_cursor', 'cursor is not one this API returned; start again without cursor.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 4 || parsed[0] !== 1) throw invalid();
  const [, pinnedAt, lastTimestamp, lastEventId] = parsed as unknown[];
  if (typeof pinnedAt !== 'string' || typeof lastTimestamp !== 'string' || typeof lastEventId !== 'string') throw invalid();
  if (Number.isNaN(Date.parse(pinnedAt)) || Number.isNaN(Date.parse(lastTimestamp))) throw invalid();
  return { pinnedAt, lastTimestamp, lastEventId };
}
