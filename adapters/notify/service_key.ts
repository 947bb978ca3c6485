/**
 * Who may enqueue notifications and drain the outbox: a server holding one of the project's
 * service credentials (`SUPABASE_SERVICE_ROLE_KEY`, any key of `SUPABASE_SECRET_KEYS`). The
 * bearer is compared in constant time: both sides are hashed under a key of this process (HMAC),
 * so the comparison takes the same time whatever the bearer's length and however much of a key
 * it guessed, and every configured key is compared every time.
 */
import { hmacSha256 } from "../../supabase/functions/_shared/hmac.ts";

const encoder = new TextEncoder();

/** Builds a checker for `keys`; an empty list accepts nothing. */
export function serviceKeyChecker(keys: readonly string[]): (bearer: string) => boolean {
  const mac = hmacSha256(crypto.getRandomValues(new Uint8Array(32)));
  const digest = (text: string) => mac(encoder.encode(text));
  const expected = keys.map(digest);
  return (bearer) => {
    const given = digest(bearer);
    let matched = 0;
    for (const key of expected) {
      let diff = 0;
      for (let i = 0; i < key.length; i++) diff |= key[i] ^ given[i];
      matched |= diff === 0 ? 1 : 0;
    }
    return matched === 1;
  };
}
