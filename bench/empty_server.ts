/**
 * The floor of a cold start on the machine at hand: a Deno process that does nothing but answer
 * 200, spawned exactly as the bench spawns the gateway (same flags, same configuration file), so
 * the bench can show how much of the gateway's cold start is Deno's own. `BENCH_PORT`.
 */
Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("BENCH_PORT")),
  onListen() {},
}, () => new Response("ok"));
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
