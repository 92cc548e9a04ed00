// The trace context an ingest request puts into its Kafka record headers (docs/architecture.md, tracing).
import type { HttpEvent } from '../http/middleware';
import { traceContext } from './accept-events';
import { traceHeaders } from '../../core/ingest';

const event = (headers: Record<string, string> = {}) =>
  ({ requestContext: { requestId: 'req-1' }, headers }) as unknown as HttpEvent;
const xray = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

describe('trace headers', () => {
  it('carry the request id, a valid traceparent and, on Lambda, the X-Ray trace header', () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(traceHeaders(traceContext(event({ traceparent }), xray))).toEqual({
      request_id: 'req-1',
      traceparent,
      'x-amzn-trace-id': xray,
    });
  });

  it('carry only the request id locally (no X-Ray) and drop malformed trace values', () => {
    expect(traceHeaders(traceContext(event({ traceparent: 'nope' }), undefined))).toEqual({ request_id: 'req-1' });
    for (const bad of ['Root=1-xyz', `${xray};Evil=a\nb`, `${xray}\u0000`, 'x'.repeat(300)]) {
      expect(traceHeaders(traceContext(event(), bad))).toEqual({ request_id: 'req-1' });
    }
  });
});
