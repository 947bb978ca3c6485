/**
 * A fetch for a gateway running beside a local PostgREST: `<SUPABASE_URL>/rest/v1/...` goes
 * straight to PostgREST, sparing a proxy hop on loopback (hosted Supabase has its own API gateway
 * in that place). Everything goes through `base`: by default the gateway's own client
 * (`createHttp1Fetch`, what a gateway uses when given no fetch), so the stack and the tests run
 * the client production runs.
 */
import { createHttp1Fetch } from "../supabase/functions/_shared/http1.ts";

/** Wraps `base` so REST calls under `supabaseUrl` reach `restUrl` directly. */
export function directRestFetch(
  supabaseUrl: string,
  restUrl: string,
  base: typeof fetch = createHttp1Fetch(),
): typeof fetch {
  const prefix = `${supabaseUrl}/rest/v1/`;
  return (input, init) => {
    if (typeof input === "string" && input.startsWith(prefix)) {
      return base(`${restUrl}/${input.slice(prefix.length)}`, init);
    }
    return base(input, init);
  };
}
