// The expected outcomes of handling one input, as one type: it went through, it was refused with a reason the
// sender can act on, or it was set aside for the dead-letter queue. Exceptions are kept for the unexpected.
export interface Reason {
  code: string;
  message: string;
}

export type Ok<T> = { kind: 'ok'; value: T };
export type Rejected<R = Reason> = { kind: 'rejected'; reason: R };
export type DeadLetter = { kind: 'dead_letter'; reason: string };

export type Outcome<T, R = Reason> = Ok<T> | Rejected<R> | DeadLetter;

export const ok = <T>(value: T): Ok<T> => ({ kind: 'ok', value });
export const rejected = <R = Reason>(reason: R): Rejected<R> => ({ kind: 'rejected', reason });
export const deadLetter = (reason: string): DeadLetter => ({ kind: 'dead_letter', reason });
