// The local gateway's event: query parameters as API Gateway gives them (repeats joined by commas), whatever their
// names, those of Object.prototype and `__proto__` included.
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { toApiGatewayEvent } from './api-gateway-event';

const request = (url: string) =>
  ({ url, method: 'GET', httpVersion: '1.1', headers: { host: 'local' }, socket: {} }) as unknown as IncomingMessage;

describe('toApiGatewayEvent', () => {
  it('keeps every query parameter as an own key, repeats joined by commas', () => {
    const names = fc.oneof(
      fc.constantFrom('toString', '__proto__', 'constructor', 'valueOf', 'hasOwnProperty', 'event_type'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(names, fc.string({ unit: 'grapheme', maxLength: 6 })), { maxLength: 8 }),
        (pairs) => {
          const search = new URLSearchParams(pairs);
          const event = toApiGatewayEvent(request(`/v1/metrics?${search}`), Buffer.alloc(0), 'GET /v1/metrics');
          const want: Record<string, string[]> = Object.create(null);
          for (const [k, v] of search) (want[k] ??= []).push(v);
          const got = event.queryStringParameters ?? {};
          expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
          for (const k of Object.keys(want)) expect(Object.hasOwn(got, k) && got[k]).toBe(want[k]!.join(','));
        },
      ),
    );
  });
});
