/**
 * The gateway as its own process for the benchmark: what `supabase/functions/gateway/index.ts`
 * does, on a chosen port, with REST calls sent straight to the local PostgREST
 * (`BENCH_REST_URL`) and request logs off (`BENCH_QUIET=1`). Outgoing calls are counted by kind
 * (`rest:<table or rpc>`, `telegram:<method>`, `discord`, `slack`); `GET /__bench/calls` returns the
 * counts and resets them; `GET /__bench/memory` runs a full garbage collection (the bench starts
 * it with `--expose-gc`) and returns `Deno.memoryUsage()` after it, so memory samples show what
 * is retained, not where the heap's saw-tooth happens to be. SIGTERM exits cleanly, so
 * `--cpu-prof` writes its profile.
 */
import { directRestFetch } from "../dev/direct_rest.ts";
import { createHttp1Fetch } from "../supabase/functions/_shared/http1.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { createLogger, silentLogger } from "../supabase/functions/_shared/log.ts";
import { createGateway } from "../supabase/functions/gateway/gateway.ts";

const config = loadConfig();
const restUrl = Deno.env.get("BENCH_REST_URL");
// BENCH_HTTP=fetch: Deno's fetch instead of the gateway's own HTTP/1.1 client, to compare.
const http = Deno.env.get("BENCH_HTTP") === "fetch" ? fetch : createHttp1Fetch();
const base = restUrl ? directRestFetch(config.supabaseUrl, restUrl, http) : http;
let calls: Record<string, number> = {};
const counted: typeof fetch = (input, init) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const rest = /\/rest\/v1\/(rpc\/)?([a-z_]+)/.exec(url);
  const telegram = /\/bot[^/]+\/([A-Za-z]+)/.exec(url);
  const kind = rest
    ? `rest:${rest[2]}`
    : telegram
    ? `telegram:${telegram[1]}`
    : url.includes("/slack/")
    ? "slack"
    : "discord";
  calls[kind] = (calls[kind] ?? 0) + 1;
  return base(input, init);
};
const gateway = createGateway(config, {
  fetch: counted,
  log: Deno.env.get("BENCH_QUIET") === "1" ? silentLogger : createLogger(),
});
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("BENCH_PORT") ?? 8000),
  onListen() {},
}, (req) => {
  if (req.url.endsWith("/__bench/calls")) {
    const body = JSON.stringify(calls);
    calls = {};
    return new Response(body);
  }
  if (req.url.endsWith("/__bench/memory")) {
    (globalThis as { gc?: () => void }).gc?.();
    return Response.json(Deno.memoryUsage());
  }
  return gateway(req);
});
Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  Deno.exit(0);
});
