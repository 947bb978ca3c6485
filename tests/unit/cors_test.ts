/**
 * CORS for browsers: the headers supabase-js really sends (trace propagation on) pass the
 * gateway's preflight, checked as a browser checks it; answers expose what clients act on.
 */
import { createClient, FunctionRegion } from "@supabase/supabase-js";
import { assert, assertEquals } from "../assert.ts";
import { loadConfig } from "../../supabase/functions/_shared/config.ts";
import { createLogger } from "../../supabase/functions/_shared/log.ts";
import { createGateway } from "../../supabase/functions/gateway/gateway.ts";

const ORIGIN = "http://localhost:5173";
const SUPABASE_URL = "https://abc.supabase.co";
const gateway = createGateway(
  loadConfig({
    SUPABASE_URL,
    SUPABASE_ANON_KEY: "anon",
    SUPABASE_SERVICE_ROLE_KEY: "service",
    GATEWAY_CORS_ORIGINS: `https://app.example.com,${ORIGIN}`,
  }),
  { log: createLogger(() => {}) },
);

/** Request headers a browser lists in Access-Control-Request-Headers (the non-safelisted). */
function unsafeHeaderNames(headers: Headers): string[] {
  const simpleType = /^(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\b/i;
  return [...headers.keys()].filter((name) =>
    !["accept", "accept-language", "content-language"].includes(name) &&
    !(name === "content-type" && simpleType.test(headers.get(name) ?? ""))
  ).sort();
}

/** Sends the preflight a browser would send for `request`; returns why it fails, or null. */
async function preflightRefusal(request: Request): Promise<string | null> {
  const wanted = unsafeHeaderNames(request.headers);
  const res = await gateway(
    new Request(request.url, {
      method: "OPTIONS",
      headers: {
        origin: ORIGIN,
        "access-control-request-method": request.method,
        "access-control-request-headers": wanted.join(","),
      },
    }),
  );
  if (res.status < 200 || res.status > 299) return `status ${res.status}`;
  if (res.headers.get("access-control-allow-origin") !== ORIGIN) return "origin not allowed";
  const list = (name: string) =>
    (res.headers.get(name) ?? "").split(",").map((h) => h.trim().toLowerCase());
  if (!list("access-control-allow-methods").includes(request.method.toLowerCase())) {
    return `method ${request.method} not allowed`;
  }
  const refused = wanted.filter((h) => !list("access-control-allow-headers").includes(h));
  return refused.length ? `headers refused: ${refused.join(", ")}` : null;
}

// What `import "@supabase/supabase-js/tracing"` registers while an OpenTelemetry trace is
// active: an extractor returning the W3C headers (stood in here, without an OpenTelemetry SDK).
const EXTRACTOR = Symbol.for("@supabase/supabase-js.traceContextExtractor");
const registry = globalThis as Record<symbol, unknown>;

Deno.test("cors: supabase-js with trace propagation passes the preflight", async (t) => {
  registry[EXTRACTOR] = () => ({
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    tracestate: "vendor=value",
    baggage: "userId=alice",
  });
  const sent: Request[] = [];
  const client = createClient(SUPABASE_URL, "anon", {
    accessToken: () => Promise.resolve("a.b.c"),
    tracePropagation: true,
    global: {
      fetch: (input, init) => {
        sent.push(new Request(input, init));
        return Promise.resolve(Response.json({ ok: true, text: "", data: null }));
      },
    },
  });
  await client.functions.invoke("gateway/commands/add", {
    body: { title: "x" },
    headers: { "idempotency-key": "k1" },
  });
  await client.functions.invoke("gateway/commands/whoami", { region: FunctionRegion.EuWest1 });
  await client.functions.invoke("gateway/commands", { method: "GET" });
  delete registry[EXTRACTOR];

  await t.step("supabase-js sent the trace headers", () => {
    assertEquals(sent.length, 3);
    for (const h of ["traceparent", "tracestate", "baggage", "x-client-info", "authorization"]) {
      assert(sent[0].headers.has(h), `${h} not sent`);
    }
  });
  for (const req of sent) {
    await t.step(`${req.method} ${new URL(req.url).pathname}`, async () => {
      assertEquals(await preflightRefusal(req), null);
    });
  }
  await t.step("postgrest-js's x-retry-count is allowed too", async () => {
    const req = new Request(`${SUPABASE_URL}/functions/v1/gateway/commands/tasks`, {
      method: "POST",
      headers: { ...Object.fromEntries(sent[0].headers), "x-retry-count": "1" },
    });
    assertEquals(await preflightRefusal(req), null);
  });
});

Deno.test("cors: answers expose Idempotent-Replayed and Retry-After", async () => {
  const res = await gateway(
    new Request(`${SUPABASE_URL}/functions/v1/gateway/commands/add`, {
      method: "POST",
      headers: { origin: ORIGIN },
    }),
  );
  await res.body?.cancel();
  assertEquals(res.status, 401);
  assertEquals(res.headers.get("access-control-allow-origin"), ORIGIN);
  const exposed = (res.headers.get("access-control-expose-headers") ?? "").split(/,\s*/);
  assert(exposed.includes("idempotent-replayed") && exposed.includes("retry-after"), `${exposed}`);
});

Deno.test("cors: another origin gets no CORS headers", async () => {
  const res = await gateway(
    new Request(`${SUPABASE_URL}/functions/v1/gateway/commands/add`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    }),
  );
  assertEquals(res.headers.get("access-control-allow-origin"), null);
  assertEquals(res.headers.get("access-control-allow-headers"), null);
});
