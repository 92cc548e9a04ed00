// The documented Event schema and the validator the code runs agree, on generated valid and invalid events.
import fc from 'fast-check';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { OPENAPI } from './openapi';
import { validateEvent, type ValidationLimits } from '../../core/event-validation';

const limits: ValidationLimits = {
  maxEventsPerBatch: 1000,
  maxPropertiesBytes: 32 * 1024,
  maxPropertiesDepth: 5,
  maxFutureSkewMs: 3_600_000,
  retentionMs: 30 * 86_400_000,
};
const NOW = Date.parse('2026-11-27T10:00:00Z');
const ajv = new Ajv2020({ strict: false });
addFormats(ajv);
const schemaAccepts = ajv.compile(OPENAPI.components.schemas.Event);
const codeAccepts = (e: unknown) => validateEvent(e, 0, NOW, limits).kind === 'ok';

const printable = fc
  .string({ minLength: 1, maxLength: 30 })
  .filter((s) => s.trim() === s && !s.startsWith('$') && !/[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]/u.test(s));
const validEvent = fc.record(
  {
    event_type: printable,
    project: printable,
    event_id: printable,
    user_id: fc.option(printable, { nil: null }),
    session_id: fc.option(printable, { nil: null }),
    timestamp: fc.oneof(
      fc.integer({ min: NOW - 86_400_000, max: NOW }),
      fc.integer({ min: NOW - 86_400_000, max: NOW }).map((t) => new Date(t).toISOString()),
    ),
    properties: fc.dictionary(
      fc.string({ maxLength: 8 }),
      fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null)),
    ),
  },
  { requiredKeys: ['event_type'] },
);

/** Structural mistakes a JSON Schema can express; each breaks exactly one field. */
const structurallyInvalid = fc.oneof(
  validEvent.map(({ event_type: _omit, ...rest }) => rest),
  fc
    .tuple(
      validEvent,
      fc.oneof(
        fc.integer(),
        fc.boolean(),
        fc.constant([]),
        fc.constant({}),
        fc.constant(''),
        fc.constant('x'.repeat(201)),
      ),
    )
    .map(([e, v]) => ({ ...e, event_type: v })),
  fc
    .tuple(validEvent, printable, fc.constantFrom(' ', '\t', '\u2028'))
    .map(([e, t, ws]) => ({ ...e, event_type: ws + t })),
  fc.tuple(validEvent, printable, fc.constantFrom(' ', '\n')).map(([e, t, ws]) => ({ ...e, event_type: t + ws })),
  fc.tuple(validEvent, printable).map(([e, t]) => ({ ...e, event_type: '$' + t })),
  fc
    .tuple(validEvent, printable, fc.integer({ min: 0, max: 31 }))
    .map(([e, t, c]) => ({ ...e, event_type: t + String.fromCharCode(c) + t })),
  fc
    .tuple(validEvent, fc.oneof(fc.integer(), fc.constant(''), fc.constant('x'.repeat(129))))
    .map(([e, v]) => ({ ...e, event_id: v })),
  fc.tuple(validEvent, fc.oneof(fc.integer(), fc.constant('u'.repeat(257)))).map(([e, v]) => ({ ...e, user_id: v })),
  fc.tuple(validEvent, fc.oneof(fc.constant([]), fc.string(), fc.integer())).map(([e, v]) => ({ ...e, properties: v })),
  fc
    .tuple(validEvent, fc.oneof(fc.boolean(), fc.constant({}), fc.constant([]), fc.constant('yesterday')))
    .map(([e, v]) => ({ ...e, timestamp: v })),
  fc.tuple(validEvent, fc.constantFrom('userId', 'eventType', 'extra')).map(([e, k]) => ({ ...e, [k]: 1 })),
);

describe('OpenAPI Event schema vs. the ingest validator', () => {
  it('both accept generated valid events', () => {
    fc.assert(
      fc.property(validEvent, (e) => schemaAccepts(e) === true && codeAccepts(e)),
      { numRuns: 1000 },
    );
  });

  it('both refuse generated structurally invalid events', () => {
    fc.assert(
      fc.property(structurallyInvalid, (e) => schemaAccepts(e) === false && !codeAccepts(e)),
      { numRuns: 1000 },
    );
  });
});
