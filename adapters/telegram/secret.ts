/**
 * Constant-time check of `X-Telegram-Bot-Api-Secret-Token`. Both sides are hashed with SHA-256
 * first, so the comparison takes the same time whatever the header's length or content.
 */

const encoder = new TextEncoder();

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Builds a checker for one secret; the secret's digest is computed once. */
export function secretChecker(secret: string): (given: string | null) => Promise<boolean> {
  const expected = sha256(secret);
  return async (given) => {
    const [a, b] = await Promise.all([expected, sha256(given ?? "")]);
    let diff = given === null ? 1 : 0;
    for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
    return diff === 0;
  };
}
