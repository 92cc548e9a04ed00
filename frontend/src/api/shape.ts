// Small runtime checks for API responses, so a surprising body becomes one clear error
// instead of a crash deep inside a component.

export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

export type JsonObject = Record<string, unknown>;

export function expectObject(value: unknown, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ShapeError(`${what} is not an object`);
  }
  return value as JsonObject;
}

export function expectArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new ShapeError(`${what} is not an array`);
  return value;
}

export function expectString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new ShapeError(`${what} is not a string`);
  return value;
}

/** A string, or null when absent/null. */
export function optionalString(value: unknown, what: string): string | null {
  if (value === undefined || value === null) return null;
  return expectString(value, what);
}

export function expectNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ShapeError(`${what} is not a finite number`);
  }
  return value;
}
