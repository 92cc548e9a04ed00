// events_raw as ingest writes it (core/ingest.ts RawEventLog): the encoded events, keyed by tenant, with the request's
// trace headers, answered once Kafka acknowledged every one (docs/architecture.md#rule-1-ack-means-durable). The
// producer's own errors end here, as the request's expected failures.
import { tooLarge, unavailable } from '../../core/errors';
import { traceHeaders, type RawEventLog } from '../../core/ingest';
import { encodeRawEvent } from '../../core/raw-event';
import { ProducerUnavailableError, RecordTooLargeError, type EventLog } from './producer';

export function createRawEventLog(log: EventLog, topic: string): RawEventLog {
  return {
    async append(events, trace) {
      const headers = traceHeaders(trace);
      try {
        await log.send(
          topic,
          events.map((e) => ({ key: e.tenantId, value: encodeRawEvent(e), headers })),
        );
      } catch (e) {
        if (e instanceof ProducerUnavailableError) {
          const message =
            'The event log did not confirm the write in time; retry with the same event_ids (nothing is counted twice).';
          throw unavailable(message, 2, e);
        }
        // Only when the topic's max.message.bytes is below what the per-event limits allow (a misconfiguration):
        // a retry cannot succeed, so not a 503.
        if (e instanceof RecordTooLargeError) {
          throw tooLarge(
            'An event of this request is larger than the event log accepts; make its properties or context smaller, ' +
              'then send the request again with the same event_ids (nothing is counted twice).',
            'payload_too_large',
            e,
          );
        }
        throw e;
      }
    },
  };
}
