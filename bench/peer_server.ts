/**
 * The peer: the Edge Function the Supabase docs teach, which a developer would write instead of
 * the gateway. Per request it creates a supabase-js client with the project URL, the anon key and
 * the caller's `Authorization` header, then runs the gateway's own queries: `POST /tasks` the
 * `/tasks` page (same columns, `count: "exact"`, same order and range), `POST /add` the same
 * upsert as `/add`; it answers JSON. It skips the docs' `auth.getUser()` round trip, which would
 * only make it slower: PostgREST checks the token either way.
 *
 * On the TLS path this is the docs' code exactly. On the plain path the project URL has no
 * `/rest/v1/` (PostgREST is on its own port), so supabase-js is given a fetch that points
 * `<SUPABASE_URL>/rest/v1/` at `BENCH_REST_URL` and is otherwise Deno's. `BENCH_PORT`; SIGTERM
 * exits.
 */
import { createClient } from "@supabase/supabase-js";
import { directRestFetch } from "../dev/direct_rest.ts";

const SUPABASE_URL = Deno.env.get("SUPABASE_URL")!;
const SUPABASE_ANON_KEY = Deno.env.get("SUPABASE_ANON_KEY")!;
const restUrl = Deno.env.get("BENCH_REST_URL");
const plain = restUrl ? { fetch: directRestFetch(SUPABASE_URL, restUrl, fetch) } : {};
const COLUMNS = "id, title, done, created_at, source";
const PAGE_SIZE = 15;

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("BENCH_PORT")),
  onListen() {},
}, async (req) => {
  if (req.method !== "POST") return new Response("Not found", { status: 404 });
  const supabase = createClient(SUPABASE_URL, SUPABASE_ANON_KEY, {
    global: { headers: { Authorization: req.headers.get("Authorization")! }, ...plain },
  });
  const path = new URL(req.url).pathname;
  const args = await req.json();
  if (path.endsWith("/tasks")) {
    const from = ((args.page ?? 1) - 1) * PAGE_SIZE;
    const { data, count, error } = await supabase.from("tasks")
      .select(COLUMNS, { count: "exact" })
      .order("done", { ascending: true })
      .order("created_at", { ascending: false })
      .order("id", { ascending: false })
      .range(from, from + PAGE_SIZE - 1);
    if (error) return Response.json({ error: error.message }, { status: 400 });
    return Response.json({ tasks: data, count });
  }
  if (path.endsWith("/add")) {
    const { data, error } = await supabase.from("tasks")
      .upsert(
        { title: args.title, source: "http", idempotency_key: null },
        { onConflict: "user_id,idempotency_key", ignoreDuplicates: false },
      )
      .select(COLUMNS)
      .single();
    if (error) return Response.json({ error: error.message }, { status: 400 });
    return Response.json(data);
  }
  return new Response("Not found", { status: 404 });
});
Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  Deno.exit(0);
});
