/**
 * The floor for any Deno process between a caller and PostgREST: a pass-through proxy that
 * forwards the request's path, query and auth headers with the gateway's own HTTP client and
 * returns the answer, doing nothing else. The bench runs it beside the gateway ("proxy floor")
 * to show how much of the gap to direct PostgREST any Deno hop costs on the machine at hand,
 * before the gateway does any work of its own. `BENCH_REST_URL`, `BENCH_PORT`; SIGTERM exits.
 */
import { createHttp1Fetch } from "../supabase/functions/_shared/http1.ts";

const rest = Deno.env.get("BENCH_REST_URL")!;
const http = createHttp1Fetch();
const FORWARD = ["apikey", "authorization", "prefer", "accept", "content-type"];
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("BENCH_PORT")),
  onListen() {},
}, async (req) => {
  const url = new URL(req.url);
  const headers: Record<string, string> = {};
  for (const name of FORWARD) {
    const value = req.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const res = await http(`${rest}${url.pathname}${url.search}`, {
    method: req.method,
    headers,
    body: req.method === "GET" ? undefined : await req.text(),
  });
  return new Response(await res.text(), {
    status: res.status,
    headers: { "content-type": res.headers.get("content-type") ?? "application/json" },
  });
});
Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  Deno.exit(0);
});
