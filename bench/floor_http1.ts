/**
 * The `http1` floor: the same pass-through as `floor_fetch.ts` (the floor), with the gateway's
 * own HTTP/1.1 client (`_shared/http1.ts`) instead of Deno's `fetch`: what that client saves any
 * Deno hop on a plain-HTTP upstream. `BENCH_REST_URL`, `BENCH_PORT`; SIGTERM exits.
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
