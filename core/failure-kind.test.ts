import postgres from 'postgres';
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSRequestTimeoutError } from 'kafkajs';
import { ReplyError } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import { ProducerUnavailableError } from '../adapters/kafka/producer';
import { classifyFailure, describeFailure, failureKind, sqlStateOf } from './failure-kind';

/** A server error as postgres.js builds it (the fields of the ErrorResponse message). */
function pgError(code: string, message: string, detail?: string): Error {
  const Ctor = postgres.PostgresError as unknown as new (x: Record<string, unknown>) => Error;
  return new Ctor({ severity: 'ERROR', severity_local: 'ERROR', code, message, detail, routine: 'x' });
}

/** A socket error as Node builds it. */
function nodeError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno: -111, syscall: 'connect', address: '127.0.0.1', port: 5432 });
}

describe('failureKind', () => {
  it.each([
    ['unsupported \\u0000 in jsonb', pgError('22P05', 'unsupported Unicode escape sequence')],
    ['invalid input syntax', pgError('22P02', 'invalid input syntax for type uuid: "x"')],
    ['numeric value out of range', pgError('22003', 'numeric field overflow')],
    ['NUL byte in text', pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00')],
    [
      'unique violation',
      pgError('23505', 'duplicate key value violates unique constraint "x"', 'Key (a)=(1) already exists.'),
    ],
    ['check violation', pgError('23514', 'new row violates check constraint "x"')],
    ['index row too large', pgError('54000', 'index row size 2720 exceeds btree version 4 maximum 2704 for index "x"')],
  ])('blames the record for a Postgres data error: %s', (_, error) => {
    expect(failureKind(error)).toBe('record');
  });

  it.each([
    ['admin shutdown (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['statement timeout (57014)', pgError('57014', 'canceling statement due to statement timeout')],
    ['too many connections (53300)', pgError('53300', 'sorry, too many clients already')],
    ['disk full (53100)', pgError('53100', 'could not extend file')],
    ['connection failure (08006)', pgError('08006', 'connection failure')],
    ['serialization failure (40001)', pgError('40001', 'could not serialize access due to concurrent update')],
    ['deadlock (40P01)', pgError('40P01', 'deadlock detected')],
    ['schema not migrated (42P01)', pgError('42P01', 'relation "record_attempts" does not exist')],
    ['authentication (28P01)', pgError('28P01', 'password authentication failed for user "x"')],
    [
      'postgres.js client-side cancel',
      Object.assign(new Error('57014: canceling statement due to user request'), { code: '57014' }),
    ],
  ])('retries a Postgres error that is not about the data: %s', (_, error) => {
    expect(failureKind(error)).toBe('infrastructure');
  });

  it.each([
    ['ECONNREFUSED', nodeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['ECONNRESET', nodeError('ECONNRESET', 'read ECONNRESET')],
    ['ETIMEDOUT', nodeError('ETIMEDOUT', 'connect ETIMEDOUT')],
    ['ENOTFOUND', nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND db')],
    [
      'postgres.js CONNECT_TIMEOUT',
      Object.assign(new Error('write CONNECT_TIMEOUT 127.0.0.1:5432'), {
        code: 'CONNECT_TIMEOUT',
        errno: 'CONNECT_TIMEOUT',
      }),
    ],
    [
      'postgres.js CONNECTION_CLOSED',
      Object.assign(new Error('write CONNECTION_CLOSED 127.0.0.1:5432'), { code: 'CONNECTION_CLOSED' }),
    ],
    // Node 20 tries every address of "localhost" and reports them together.
    [
      'AggregateError of refusals',
      Object.assign(
        new AggregateError(
          [
            nodeError('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432'),
            nodeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
          ],
          '',
        ),
        { code: 'ECONNREFUSED' },
      ),
    ],
    ['Kafka connection', new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092')],
    ['Kafka retries exhausted', new KafkaJSNumberOfRetriesExceeded(new Error('x'), { retryCount: 5, retryTime: 1000 })],
    ['Kafka request timeout', new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out')],
    [
      'our producer without an ack',
      new ProducerUnavailableError('Kafka did not acknowledge the write', { cause: new Error('x') }),
    ],
    ['Redis down', new MaxRetriesPerRequestError(2)],
    ['Redis connection closed', new Error('Connection is closed.')],
    ['Redis loading', new ReplyError('LOADING Redis is loading the dataset in memory')],
    ['Redis read-only replica', new ReplyError("READONLY You can't write against a read only replica.")],
  ])('retries an unreachable or unavailable service: %s', (_, error) => {
    expect(failureKind(error)).toBe('infrastructure');
  });

  it('looks through causes: an infrastructure error wrapped in another error is still infrastructure', () => {
    const wrapped = new Error('batch failed', {
      cause: new Error('write failed', { cause: nodeError('ECONNRESET', 'read ECONNRESET') }),
    });
    expect(failureKind(wrapped)).toBe('infrastructure');
  });

  it('blames the record for errors its content causes in our code', () => {
    let typeError: unknown;
    try {
      (JSON.parse('{"properties": null}') as { properties: { plan: string } }).properties.plan.toString();
    } catch (e) {
      typeError = e;
    }
    let rangeError: unknown;
    try {
      new Date(1e20).toISOString();
    } catch (e) {
      rangeError = e;
    }
    expect(failureKind(typeError)).toBe('record');
    expect(failureKind(rangeError)).toBe('record');
    expect(failureKind(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(
      'record',
    );
  });

  it('survives odd throwables: strings, null, cyclic causes', () => {
    const cyclic: Error & { cause?: unknown } = new Error('loop');
    cyclic.cause = cyclic;
    expect(failureKind('boom')).toBe('record');
    expect(failureKind(null)).toBe('record');
    expect(failureKind(cyclic)).toBe('record');
  });
});

describe('describeFailure', () => {
  it('gives the SQLSTATE and message, never the detail with the offending values', () => {
    const line = describeFailure(
      pgError('23505', 'duplicate key value violates unique constraint "x"', 'Key (email)=(a@b.c) already exists.'),
    );
    expect(line).toBe('23505 duplicate key value violates unique constraint "x"');
  });

  it('names non-Postgres errors, replaces control characters (Postgres text holds no NUL) and bounds the length', () => {
    expect(describeFailure(new TypeError('bad\u0000value\nhere'))).toBe('TypeError: bad value here');
    expect(describeFailure(new Error('x'.repeat(1000)), 50)).toHaveLength(50);
    expect(describeFailure('plain')).toBe('plain');
  });
});

describe('classifyFailure: the one classifier of consumers, the HTTP edge and alert evaluation', () => {
  it('splits record failures into data (the input) and defects (the code)', () => {
    expect(classifyFailure(pgError('22P02', 'invalid input syntax'))).toBe('data');
    expect(classifyFailure(pgError('23505', 'duplicate key'))).toBe('data');
    expect(classifyFailure(pgError('54000', 'index row too large'))).toBe('data');
    expect(classifyFailure(new Error('wrapped', { cause: pgError('22003', 'out of range') }))).toBe('data');
    expect(classifyFailure(new TypeError('x is undefined'))).toBe('defect');
    expect(classifyFailure('a string')).toBe('defect');
  });
  it('calls every other SQLSTATE, class 42 included, infrastructure, as failureKind does', () => {
    for (const code of ['42P01', '42703', '57P01', '53300', '08006', '40001']) {
      expect(classifyFailure(pgError(code, 'x'))).toBe('infrastructure');
      expect(failureKind(pgError(code, 'x'))).toBe('infrastructure');
    }
    expect(classifyFailure(new ProducerUnavailableError('no ack'))).toBe('infrastructure');
  });
  it('finds the SQLSTATE inside wrappers for logs', () => {
    expect(sqlStateOf(new Error('outer', { cause: pgError('22P05', 'unsupported') }))).toBe('22P05');
    expect(sqlStateOf(new Error('none'))).toBeUndefined();
  });
});
