/**
 * Discord sink helper: Discord-style error answers. Plain errors are `{message, code}`;
 * `Invalid Form Body` (50035) carries a nested `errors` object whose leaves are
 * `{_errors: [{code, message}]}`, keyed by field names and array indexes.
 *
 * @module
 */

/** A Discord error answer: HTTP `status` with JSON `body` (`{message, code, errors?}`). */
export class DiscordError extends Error {
  /** Creates the error for `status` with Discord's JSON `body`. */
  constructor(readonly status: number, readonly body: Record<string, unknown>) {
    super(String(body.message));
  }
}

/** Nested `errors` object of an `Invalid Form Body` answer. */
export type FormErrors = Record<string, unknown>;

/** Adds one error at `path` (e.g. `[0, "options", 2, "name"]`; `[]` for the root). */
export function addError(
  errors: FormErrors,
  path: (string | number)[],
  code: string,
  message: string,
): void {
  let node = errors;
  for (const key of path) node = (node[String(key)] ??= {}) as FormErrors;
  ((node._errors ??= []) as unknown[]).push({ code, message });
}

/** Throws 400 `Invalid Form Body` (50035) when `errors` holds anything. */
export function throwIfInvalid(errors: FormErrors): void {
  if (Object.keys(errors).length === 0) return;
  throw new DiscordError(400, { message: "Invalid Form Body", code: 50035, errors });
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

/** Discord's generic error for a status: `{"message":"404: Not Found","code":0}`. */
export function httpError(status: number): DiscordError {
  return new DiscordError(status, {
    message: `${status}: ${STATUS_TEXT[status] ?? "Error"}`,
    code: 0,
  });
}

/** Error messages Discord uses for lengths. */
export const lengthMessage = {
  /** "Must be N or fewer in length." */
  max: (n: number) => `Must be ${n} or fewer in length.`,
  /** "Must be between A and B in length." */
  between: (min: number, max: number) => `Must be between ${min} and ${max} in length.`,
};

/** Discord snowflakes (timestamp since 2015 << 22 | sequence) from a clock value in ms. */
export function snowflakes(): (nowMs: number) => string {
  let sequence = 0;
  return (nowMs) =>
    String(
      (BigInt(Math.max(0, Math.floor(nowMs) - 1420070400000)) << 22n) |
        BigInt(sequence++ & 0xfff),
    );
}
