/**
 * Clients that act as one caller: each carries the caller's token, so PostgREST applies that
 * user's RLS. They hold no session, start no timers and are cached by token until it expires.
 *
 * A client's database calls (`from`, `rpc`, `schema`) go straight to supabase-js's own PostgREST
 * client (`@supabase/postgrest-js`, which `supabase.from()` uses), with the headers supabase-js
 * would send: the anon key and the caller's bearer token. It is a plain ES module that loads in
 * about 5 ms, where supabase-js as a whole takes about 70 ms (its auth, realtime, storage and
 * functions clients are CommonJS, and the first CommonJS module boots Deno's Node compatibility
 * layer): the first command after a cold start waits only for what it uses. The headers are
 * those supabase-js sends (the anon key, the caller's bearer token, the schema's profile). The other members of
 * a supabase-js client (`storage`, `functions`, `channel`, ...) are served by a full supabase-js
 * client made on first use; supabase-js is loaded in the background shortly after the first
 * command. A command runs only once it has loaded, unless it declares `databaseOnly` (the
 * gateway's own and the demo's do): those start before, and should one reach for `storage` or
 * `auth` anyway in that moment, it answers 503 (retry in a moment).
 */
import type { PostgrestClient } from "@supabase/postgrest-js";
import type { SupabaseClient } from "@supabase/supabase-js";
import { TtlCache } from "./cache.ts";
import type { GatewayConfig } from "./config.ts";
import { DB_TIMEOUT_MS, withDeadline } from "./db.ts";
import { GatewayError } from "./errors.ts";

/** Creates (or reuses) a client acting as the user whose token it carries. */
export interface UserClients {
  /** Resolves once clients can be made (PostgREST's client is loaded); call before `forToken`. */
  ready(): Promise<void>;
  /** Resolves once every member of a client works (supabase-js is loaded too). */
  full(): Promise<void>;
  forToken(token: string, expiresAt: number): SupabaseClient;
}

let postgrestJs: typeof import("@supabase/postgrest-js") | undefined;
let loadingRest: Promise<void> | undefined;
let supabaseJs: typeof import("@supabase/supabase-js") | undefined;
let loadingFull: Promise<void> | undefined;
/** How long after the first command supabase-js starts loading: past the first answers. */
const FULL_LOAD_DELAY_MS = 200;

const loadPostgrestJs = () =>
  loadingRest ??= import("@supabase/postgrest-js").then((m) => {
    postgrestJs = m;
    // Deno's own web timer, not Node's: its first use would load Node's timers.
    AbortSignal.timeout(FULL_LOAD_DELAY_MS).addEventListener("abort", () => void loadFull());
  });
const loadFull = () =>
  loadingFull ??= import("@supabase/supabase-js").then((m) => void (supabaseJs = m), (err) => {
    loadingFull = undefined; // retried on the next use
    throw err;
  });

/** Builds the per-user client factory. */
export function createUserClients(
  config: Pick<GatewayConfig, "supabaseUrl" | "anonKey" | "restUrl">,
  fetchImpl: typeof fetch,
  now: () => number = Date.now,
): UserClients {
  const clients = new TtlCache<string, SupabaseClient>({ maxEntries: 2_000, now });
  // Fail fast: no retries (a gateway answers 503 and lets the platform retry, instead of waiting
  // through a back-off while Telegram or Discord time the request out), and a timeout of the
  // fetch's own (postgrest-js's would arm a Node timer per query).
  const bounded = withDeadline(fetchImpl, DB_TIMEOUT_MS, `${config.restUrl}/`);

  /** The full supabase-js client for `token`, for what is not PostgREST. */
  const fullClient = (token: string): SupabaseClient => {
    if (!supabaseJs) {
      loadFull().catch(() => {});
      throw new GatewayError(
        503,
        "upstream_error",
        "The gateway is still starting; retry in a moment.",
        { retry_after: 1 },
      );
    }
    return supabaseJs.createClient(config.supabaseUrl, config.anonKey, {
      accessToken: () => Promise.resolve(token),
      auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
      db: { retry: false },
      global: { fetch: bounded },
    });
  };

  return {
    ready: () => postgrestJs ? Promise.resolve() : loadPostgrestJs(),
    full: () => supabaseJs ? Promise.resolve() : loadFull(),
    forToken(token, expiresAt) {
      let client = clients.get(token);
      if (!client) {
        if (!postgrestJs) throw new Error("UserClients.forToken before ready()");
        const rest = new postgrestJs.PostgrestClient(config.restUrl, {
          schema: "public",
          fetch: withCaller(bounded, config.anonKey, token),
          retry: false,
        });
        client = userClient(rest, () => fullClient(token));
        clients.set(token, client, expiresAt * 1000);
      }
      return client;
    },
  };
}

/**
 * `fetchImpl` sending the anon key and the caller's token, unless the query set its own (as
 * supabase-js's fetch does). Added here, to the plain object postgrest-js hands its fetch, rather
 * than as the client's headers: those are copied into a `Headers` two or three times per query,
 * each copy checking every character of an 800-character token (about 40 µs a query).
 */
function withCaller(fetchImpl: typeof fetch, apikey: string, token: string): typeof fetch {
  const authorization = `Bearer ${token}`;
  return (input, init) => {
    const given = init?.headers;
    const headers: Record<string, string> = given instanceof Headers || Array.isArray(given)
      ? Object.fromEntries(new Headers(given))
      : { ...given };
    // postgrest-js's names are lower case (it builds them with a Headers).
    headers.apikey ??= apikey;
    headers.authorization ??= authorization;
    return fetchImpl(input, { ...init, headers });
  };
}

/**
 * A supabase-js client's surface over `rest`: the database calls as `SupabaseClient` makes them
 * (it delegates them to its PostgREST client the same way), the rest from `full()`, made once.
 */
function userClient(rest: PostgrestClient, full: () => SupabaseClient): SupabaseClient {
  let made: SupabaseClient | undefined;
  const client = () => made ??= full();
  return {
    from: (relation: string, options?: Parameters<PostgrestClient["from"]>[1]) =>
      rest.from(relation, options),
    rpc: (fn: string, args?: object, options?: object) =>
      (rest.rpc as (...a: unknown[]) => unknown)(fn, args, options),
    schema: (schema: string) => rest.schema(schema),
    get auth() {
      return client().auth;
    },
    get realtime() {
      return client().realtime;
    },
    get storage() {
      return client().storage;
    },
    get functions() {
      return client().functions;
    },
    channel: (...args: Parameters<SupabaseClient["channel"]>) => client().channel(...args),
    getChannels: () => client().getChannels(),
    removeChannel: (channel: Parameters<SupabaseClient["removeChannel"]>[0]) =>
      client().removeChannel(channel),
    removeAllChannels: () => client().removeAllChannels(),
  } as unknown as SupabaseClient;
}
