/**
 * Minimal assertions (JSR's @std/assert is not reachable from these machines): equality by
 * structure, truthiness, pattern match and rejection, each with a readable failure message.
 */

/** Thrown when an assertion fails. */
export class AssertionError extends Error {
  override name = "AssertionError";
}

/** Fails unless `value` is truthy. */
export function assert(value: unknown, message = "expected a truthy value"): asserts value {
  if (!value) throw new AssertionError(message);
}

/** Fails unless `actual` and `expected` are structurally equal. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (!equal(actual, expected)) {
    throw new AssertionError(
      `${message ? message + ": " : ""}expected ${show(expected)}, got ${show(actual)}`,
    );
  }
}

/** Fails unless `actual` matches `pattern`. */
export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  if (!pattern.test(actual)) {
    throw new AssertionError(message ?? `expected ${show(actual)} to match ${pattern}`);
  }
}

/** Fails unless `fn` throws (or rejects); returns the error. */
export async function assertRejects(
  fn: () => unknown,
  check?: (err: unknown) => boolean,
): Promise<unknown> {
  try {
    await fn();
  } catch (err) {
    if (check && !check(err)) throw new AssertionError(`unexpected error: ${show(err)}`);
    return err;
  }
  throw new AssertionError("expected an error, none was thrown");
}

/** Fails unless `fn` throws synchronously an instance of `type` (when given); returns the error. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  type?: new (...args: never[]) => E,
): E {
  try {
    fn();
  } catch (err) {
    if (type && !(err instanceof type)) {
      throw new AssertionError(`unexpected error: ${show(err)}`);
    }
    return err as E;
  }
  throw new AssertionError("expected an error, none was thrown");
}

function equal(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) =>
    equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
  );
}

function show(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value)?.slice(0, 500) ?? String(value);
  } catch {
    return String(value);
  }
}
