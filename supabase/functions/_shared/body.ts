/**
 * Reading request bodies with a size limit, before any parsing: a declared Content-Length over
 * the limit is refused at once, and a streamed body is cut off as soon as it passes the limit.
 */
import { GatewayError } from "./errors.ts";

/** Default limit for JSON bodies (HTTPS commands, Discord interactions). */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/** Reads the body as text, or throws 413 `payload_too_large`. */
export async function readBody(req: Request, limit = DEFAULT_BODY_LIMIT): Promise<string> {
  return new TextDecoder().decode(await readBodyBytes(req, limit));
}

/**
 * Reads the body as bytes (what a platform signed, before any decoding), or throws 413
 * `payload_too_large`.
 */
export async function readBodyBytes(
  req: Request,
  limit = DEFAULT_BODY_LIMIT,
): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return all;
}

/** Parses JSON text, or throws 400 `bad_json`. Empty text is `fallback`. */
export function parseJson(text: string, fallback: unknown = undefined): unknown {
  if (text.trim() === "" && fallback !== undefined) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    throw new GatewayError(400, "bad_json", "The request body is not valid JSON.");
  }
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(
    413,
    "payload_too_large",
    `The request body is larger than ${Math.round(limit / 1024)} KiB.`,
  );
}
