/**
 * The gateway as its own process for the benchmark: what `supabase/functions/gateway/index.ts`
 * does, on a chosen port, with REST calls sent straight to the local PostgREST
 * (`BENCH_REST_URL`) and request logs off (`BENCH_QUIET=1`).
 */
import { directRestFetch } from "../dev/direct_rest.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { createLogger, silentLogger } from "../supabase/functions/_shared/log.ts";
import { createGateway } from "../supabase/functions/gateway/gateway.ts";

const config = loadConfig();
const restUrl = Deno.env.get("BENCH_REST_URL");
const gateway = createGateway(config, {
  fetch: restUrl ? directRestFetch(config.supabaseUrl, restUrl) : fetch,
  log: Deno.env.get("BENCH_QUIET") === "1" ? silentLogger : createLogger(),
});
Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("BENCH_PORT") ?? 8000),
  onListen() {},
}, gateway);
