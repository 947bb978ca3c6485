/**
 * The floor: the cheapest any Edge Function in the path can be. An empty Deno hop that forwards
 * the request it gets (path, query, the auth and content headers, the body) to PostgREST with
 * Deno's `fetch` and returns the answer, doing nothing else. The bench drives it with the same
 * request as direct PostgREST, with the same token. `BENCH_REST_URL` (PostgREST, or the TLS
 * front's `/rest/v1`), `BENCH_PORT`; SIGTERM exits.
 */
const rest = Deno.env.get("BENCH_REST_URL")!;
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
  const res = await fetch(`${rest}${url.pathname}${url.search}`, {
    method: req.method,
    headers,
    body: req.method === "GET" ? undefined : await req.text(),
  });
  return new Response(res.body, {
    status: res.status,
    headers: { "content-type": res.headers.get("content-type") ?? "application/json" },
  });
});
Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  Deno.exit(0);
});
