/**
 * A fetch for a gateway running beside a local PostgREST: `<SUPABASE_URL>/rest/v1/...` goes
 * straight to PostgREST, sparing a proxy hop on loopback (hosted Supabase has its own API gateway
 * in that place). Everything else is plain `fetch`.
 */

/** Wraps `fetch` so REST calls under `supabaseUrl` reach `restUrl` directly. */
export function directRestFetch(supabaseUrl: string, restUrl: string): typeof fetch {
  const prefix = `${supabaseUrl}/rest/v1/`;
  return (input, init) => {
    if (typeof input === "string" && input.startsWith(prefix)) {
      return fetch(`${restUrl}/${input.slice(prefix.length)}`, init);
    }
    return fetch(input, init);
  };
}
