/**
 * The users' clients (supabase/functions/_shared/user_clients.ts), without a server: their
 * database calls are the requests supabase-js itself would send for the same query (URL, method,
 * body, headers), each carries its own caller's token only, and what is not PostgREST comes from
 * a full supabase-js client once it has loaded (a 503 to retry before).
 */
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { createUserClients } from "../../supabase/functions/_shared/user_clients.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";

const config = {
  supabaseUrl: "http://127.0.0.1:1",
  restUrl: "http://127.0.0.1:1/rest/v1",
  anonKey: "anon-key",
};

interface Sent {
  url: string;
  method: string;
  body: string | null;
  headers: Record<string, string>;
}

/** A fetch that records each request and answers an empty list. */
function recorder() {
  const sent: Sent[] = [];
  const fetchImpl: typeof fetch = (input, init) => {
    const headers = Object.fromEntries(new Headers(init?.headers));
    delete headers["x-client-info"]; // supabase-js names itself; PostgREST ignores it
    sent.push({
      url: String(input),
      method: init?.method ?? "GET",
      body: init?.body == null ? null : String(init.body),
      headers,
    });
    return Promise.resolve(
      new Response("[]", { headers: { "content-type": "application/json" } }),
    );
  };
  return { sent, fetchImpl };
}

const queries: [string, (db: SupabaseClient) => PromiseLike<unknown>][] = [
  [
    "a page with a count",
    (db) =>
      db.from("tasks").select("id, title", { count: "exact" }).order("id", { ascending: false })
        .range(0, 14),
  ],
  [
    "an upsert returning one row",
    (db) =>
      db.from("tasks").upsert({ title: "t", idempotency_key: null }, {
        onConflict: "user_id,idempotency_key",
      }).select("id").single(),
  ],
  ["an update with a filter", (db) => db.from("tasks").update({ done: true }).eq("id", 3)],
  ["a delete", (db) => db.from("chat_identities").delete().eq("provider", "telegram")],
  ["an rpc", (db) => db.rpc("create_link_code", { p: 1 })],
  ["another schema", (db) => db.schema("other").from("t").select("*")],
];

// First in this file: supabase-js as a whole is not loaded yet (the module loads it itself).
Deno.test("user clients: the rest of supabase-js once it has loaded, a 503 before", async () => {
  const clients = createUserClients(config, recorder().fetchImpl);
  await clients.ready();
  const db = clients.forToken("token.of.a", Date.now() / 1000 + 600);
  const early = assertThrows(() => db.storage, GatewayError);
  assertEquals(early.status, 503);
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      assertEquals(typeof db.storage.from, "function", "supabase-js's storage client");
      break;
    } catch (err) {
      if (!(err instanceof GatewayError) || Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  assertEquals(typeof db.functions.invoke, "function");
});

Deno.test("user clients: the requests supabase-js sends for the same query", async (t) => {
  const mine = recorder();
  const theirs = recorder();
  const clients = createUserClients(config, mine.fetchImpl);
  await clients.ready();
  const token = "header.payload.signature";
  const db = clients.forToken(token, Date.now() / 1000 + 600);
  const reference = createClient(config.supabaseUrl, config.anonKey, {
    accessToken: () => Promise.resolve(token),
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    db: { retry: false },
    global: { fetch: theirs.fetchImpl },
  });
  for (const [name, query] of queries) {
    await t.step(name, async () => {
      await query(db);
      await query(reference);
      assertEquals(mine.sent.at(-1), theirs.sent.at(-1));
    });
  }
});

Deno.test("user clients: each client sends its own caller's token, and only it", async () => {
  const { sent, fetchImpl } = recorder();
  const clients = createUserClients(config, fetchImpl);
  await clients.ready();
  const exp = Date.now() / 1000 + 600;
  const [a, b] = [clients.forToken("token.of.a", exp), clients.forToken("token.of.b", exp)];
  await Promise.all([a.from("tasks").select("id"), b.from("tasks").select("id")]);
  await a.rpc("f");
  assertEquals(sent.map((s) => s.headers.authorization), [
    "Bearer token.of.a",
    "Bearer token.of.b",
    "Bearer token.of.a",
  ]);
  assert(clients.forToken("token.of.a", exp) === a, "cached by token");
});
