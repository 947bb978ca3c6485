/**
 * The floor: the cheapest any Edge Function in the path can be. An empty Deno hop that forwards
 * the request it gets (path, query, the auth and content headers, the body) to PostgREST with
 * Deno's `fetch` and returns the answer, doing nothing else. The bench drives it with the same
 * request as direct PostgREST, with the same token. `BENCH_HTTP=http1`: the `http1` floor, the
 * same pass-through with the gateway's own HTTP/1.1 client (`_shared/http1.ts`) instead of
 * `fetch`, what that client saves any Deno hop on a plain-HTTP upstream (loaded only then).
 * `BENCH_REST_URL` (PostgREST, or the TLS front's `/rest/v1`), `BENCH_PORT`; SIGTERM exits.
 */
const rest = Deno.env.get("BENCH_REST_URL")!;
const http1 = Deno.env.get("BENCH_HTTP") === "http1";
const http: typeof fetch = http1
  ? (await import("../supabase/functions/_shared/http1.ts")).createHttp1Fetch()
  : fetch;
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
  // As each floor always answered: fetch's body streamed through, http1's read whole.
  return new Response(http1 ? await res.text() : res.body, {
    status: res.status,
    headers: { "content-type": res.headers.get("content-type") ?? "application/json" },
  });
});
Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  Deno.exit(0);
});
