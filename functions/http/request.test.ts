// jsonBody: content types, charsets and encodings as the ingest routes read them (docs/api.md#conventions).
import { gzipSync } from 'node:zlib';
import { jsonBody } from './request';
import type { HttpEvent } from './middleware';
import { mapExpectedError, type MappedError } from './errors';

function event(body: Buffer | string, headers: Record<string, string>, base64 = typeof body !== 'string'): HttpEvent {
  return {
    headers,
    body: typeof body === 'string' ? body : body.toString('base64'),
    isBase64Encoded: base64,
  } as unknown as HttpEvent;
}
function refusal(f: () => unknown): MappedError {
  try {
    f();
  } catch (e) {
    const mapped = mapExpectedError(e);
    if (mapped) return mapped;
    throw e;
  }
  throw new Error('expected a refusal');
}
const JSON_TEXT = '{"event_type":"a"}';

describe('jsonBody', () => {
  it('refuses any charset but UTF-8 with 415, on every route', () => {
    for (const charset of ['utf-16', 'UTF-16LE', 'latin1', '"iso-8859-1"']) {
      const e = refusal(() =>
        jsonBody(event(JSON_TEXT, { 'content-type': `application/json; charset=${charset}` }), 1000),
      );
      expect([e.status, e.code]).toEqual([415, 'unsupported_media_type']);
      expect(e.message).toContain('UTF-8');
      expect(
        refusal(() =>
          jsonBody(event(JSON_TEXT, { 'content-type': `text/plain;charset=${charset}` }), 1000, { anyLabel: true }),
        ).status,
      ).toBe(415);
    }
    for (const charset of ['utf-8', 'UTF8', '"utf-8"', 'us-ascii']) {
      expect(jsonBody(event(JSON_TEXT, { 'content-type': `application/json; charset=${charset}` }), 1000)).toEqual({
        event_type: 'a',
      });
    }
  });

  it('keeps POST /v1/events strict about the label', () => {
    expect(refusal(() => jsonBody(event(JSON_TEXT, { 'content-type': 'text/plain' }), 1000)).status).toBe(415);
    expect(refusal(() => jsonBody(event(Buffer.from(JSON_TEXT), {}), 1000)).status).toBe(415);
  });

  it('reads JSON whatever its label on the Segment endpoints, sniffs gzip, skips a BOM', () => {
    const gz = gzipSync(JSON_TEXT);
    expect(jsonBody(event(Buffer.from(JSON_TEXT), {}), 1000, { anyLabel: true })).toEqual({ event_type: 'a' });
    expect(
      jsonBody(event(gz, { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' }), 1000, {
        anyLabel: true,
      }),
    ).toEqual({ event_type: 'a' });
    expect(jsonBody(event(gz, {}), 1000, { anyLabel: true })).toEqual({ event_type: 'a' });
    expect(
      jsonBody(event(gz, { 'content-type': 'application/json, application/json' }), 1000, { anyLabel: true }),
    ).toEqual({ event_type: 'a' });
    expect(jsonBody(event('\uFEFF' + JSON_TEXT, { 'content-type': 'application/json' }), 1000)).toEqual({
      event_type: 'a',
    });
  });

  it('answers 415 for a non-JSON body under a non-JSON label, 400 under a JSON label, 413 past the limit decompressed', () => {
    expect(
      refusal(() => jsonBody(event('<x/>', { 'content-type': 'text/html' }), 1000, { anyLabel: true })).status,
    ).toBe(415);
    expect(
      refusal(() => jsonBody(event('{', { 'content-type': 'application/json' }), 1000, { anyLabel: true })).code,
    ).toBe('invalid_json');
    const bomb = gzipSync(JSON.stringify({ s: 'x'.repeat(5000) }));
    expect(refusal(() => jsonBody(event(bomb, {}), 1000, { anyLabel: true })).status).toBe(413);
  });
});
