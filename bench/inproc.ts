/**
 * `deno run -A bench/inproc.ts [--scenario <name>[,...]] [--requests N] [--batches B]`: the
 * gateway's own JavaScript work per request, alone: the gateway's handler called in this process
 * with real `Request`s, its outgoing calls answered at once from canned PostgREST and Telegram
 * answers (no sockets, no HTTP server, no database), eight requests in flight. Reports the
 * process's CPU µs per request (user + system, so time the machine gave to others does not count)
 * minus the harness's own (the same loop around a handler that answers at once), median and
 * least of several batches. Stable enough on a shared machine to judge a change of a few µs; run it in
 * two checkouts to compare them. `--batches 0`: a fixed warm-up and REQUESTS, nothing printed,
 * for instruction counts: `valgrind --tool=callgrind` of two runs with different REQUESTS gives
 * the instructions of one request, which no neighbour on the machine moves. `--log`: with the
 * request log lines on stdout, as in production (send it to /dev/null).
 */
import { cpuUsage } from "node:process";
import { devAccessToken } from "../dev/auth.ts";
import { loadOrCreateDevKeys, publicJwks } from "../dev/keys.ts";
import { loadConfig } from "../supabase/functions/_shared/config.ts";
import { createLogger, silentLogger } from "../supabase/functions/_shared/log.ts";
import { createGateway } from "../supabase/functions/gateway/gateway.ts";
import { median } from "./memory.ts";
import { ALICE, BOB, DC, hex, PLAIN_SUPABASE_URL, STATE, TG } from "./stack.ts";

const arg = (name: string, fallback: string) =>
  Deno.args.includes(name) ? Deno.args[Deno.args.indexOf(name) + 1] : fallback;
const REQUESTS = Number(arg("--requests", "4000"));
const BATCHES = Number(arg("--batches", "7"));
const IN_FLIGHT = 8;

const keys = await loadOrCreateDevKeys(STATE);
const discordKey = await crypto.subtle.generateKey("Ed25519", true, [
  "sign",
  "verify",
]) as CryptoKeyPair;
const secret = "bench_secret_" + "x".repeat(20);
const env: Record<string, string> = {
  SUPABASE_URL: PLAIN_SUPABASE_URL,
  SUPABASE_ANON_KEY: keys.anonKey,
  SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
  SUPABASE_JWKS: JSON.stringify(publicJwks(keys)),
  GATEWAY_SIGNING_KEY: JSON.stringify(keys.signingKey),
  TELEGRAM_BOT_TOKEN: "7000000002:BENCH_" + "y".repeat(30),
  TELEGRAM_WEBHOOK_SECRET: secret,
  TELEGRAM_BOT_USERNAME: "BenchBot",
  TELEGRAM_API_ROOT: "http://127.0.0.1:1/tg",
  DISCORD_PUBLIC_KEY: hex(await crypto.subtle.exportKey("raw", discordKey.publicKey)),
  DISCORD_APPLICATION_ID: "100000000000000099",
  DISCORD_API_BASE: "http://127.0.0.1:1/dc",
  GATEWAY_RATE_LIMIT_PER_MINUTE: "0",
};
for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);

// What PostgREST and Telegram would answer, by path.
const ROWS = JSON.stringify(
  Array.from({ length: 15 }, (_, i) => ({
    id: 1000 - i,
    title: `Task ${i + 1}`,
    done: false,
    created_at: "2026-12-01T10:00:00.000000+00:00",
    source: "web",
  })),
);
const ROW = '{"id":5000,"title":"Bench task","done":false,' +
  '"created_at":"2026-12-01T10:00:00.000000+00:00","source":"http"}';
const identity = (id: string) =>
  `{"user_id":"${id}","email":null,"phone":null,"app_metadata":{},"user_metadata":{},` +
  `"is_anonymous":false}`;
let claims = 0;
const canned = (url: string, init?: RequestInit): [number, string, Record<string, string>] => {
  const json = { "content-type": "application/json; charset=utf-8" };
  if (url.includes("/rest/v1/tasks")) {
    return init?.method === "POST"
      ? [201, ROW, json]
      : [200, ROWS, { ...json, "content-range": "0-14/20" }];
  }
  if (url.endsWith("/rpc/resolve_chat_identity")) {
    const body = String(init?.body);
    return [200, identity(body.includes(TG.bob) || body.includes(DC.bob) ? BOB : ALICE), json];
  }
  if (url.endsWith("/rpc/gateway_claim_delivery")) {
    return [200, `{"status":"claimed","attempt":1,"claim":${++claims}}`, json];
  }
  if (url.endsWith("/rpc/gateway_complete_deliveries")) return [200, "[]", json];
  if (url.includes("/tg/")) {
    return [200, '{"ok":true,"result":{"message_id":1,"date":1,"chat":{"id":1}}}', json];
  }
  return [404, "{}", json];
};
const fetchCanned: typeof fetch = (input, init) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const [status, body, headers] = canned(url, init);
  return Promise.resolve(new Response(body, { status, headers }));
};

// --log: the request log lines written as in production (stdout; results go to stderr).
const log = Deno.args.includes("--log") ? createLogger() : silentLogger;
const gateway = createGateway(loadConfig(), { fetch: fetchCanned, log });
const base = "http://127.0.0.1:8000/functions/v1/gateway";
const issuer = `${PLAIN_SUPABASE_URL}/auth/v1`;
const alice = await devAccessToken(keys.signingKey, issuer, { id: ALICE, email: "a@example.com" });
const bob = await devAccessToken(keys.signingKey, issuer, { id: BOB, email: "b@example.com" });
const JSON_TYPE = { "content-type": "application/json" };

let updateId = 1;
const telegram = (from: string, text: string) => () =>
  new Request(`${base}/telegram`, {
    method: "POST",
    headers: { ...JSON_TYPE, "x-telegram-bot-api-secret-token": secret },
    body: JSON.stringify({
      update_id: ++updateId,
      message: {
        message_id: updateId,
        date: 1764700000,
        chat: { id: Number(from), type: "private", first_name: "Bench" },
        from: { id: Number(from), is_bot: false, first_name: "Bench" },
        text,
        entities: [{ type: "bot_command", offset: 0, length: text.split(" ")[0].length }],
      },
    }),
  });

/** Signed Discord interactions, made before measuring (signing is not the gateway's work). */
async function discordRequests(count: number, user: string, data: Record<string, unknown>) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const out: { body: string; sig: string }[] = [];
  for (let i = 0; i < count; i++) {
    const id = String(10n ** 17n + BigInt(i) + BigInt(Math.floor(Math.random() * 1e12)));
    const body = JSON.stringify({
      id,
      application_id: env.DISCORD_APPLICATION_ID,
      type: 2,
      token: `bench${id}`,
      version: 1,
      data: { id: "1", type: 1, ...data },
      channel_id: "2",
      user: { id: user, username: "bench" },
    });
    const sig = hex(
      await crypto.subtle.sign(
        "Ed25519",
        discordKey.privateKey,
        new TextEncoder().encode(timestamp + body),
      ),
    );
    out.push({ body, sig });
  }
  let next = 0;
  return () => {
    const { body, sig } = out[next++ % out.length];
    return new Request(`${base}/discord`, {
      method: "POST",
      headers: { ...JSON_TYPE, "x-signature-ed25519": sig, "x-signature-timestamp": timestamp },
      body,
    });
  };
}

const command = (name: string, token: string, body: string) => () =>
  new Request(`${base}/commands/${name}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, ...JSON_TYPE },
    body,
  });

const total = REQUESTS * (BATCHES + 1) + 2000 * BATCHES; // every Discord id used once
const SCENARIOS: Record<string, () => Promise<() => Request>> = {
  "HTTPS read": () => Promise.resolve(command("tasks", alice, "{}")),
  "HTTPS write": () => Promise.resolve(command("add", bob, '{"title":"Bench task"}')),
  "Telegram read": () => Promise.resolve(telegram(TG.alice, "/tasks")),
  "Telegram write": () => Promise.resolve(telegram(TG.bob, "/add Bench task")),
  "Discord read": () => discordRequests(total, DC.alice, { name: "tasks" }),
};

/** CPU µs per request of `handle` over `requests`, eight in flight. */
async function cpuPerRequest(
  make: () => Request,
  handle: (req: Request) => Promise<Response>,
  requests: number,
) {
  let left = requests;
  const worker = async () => {
    while (left-- > 0) {
      const res = await handle(make());
      if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  const before = cpuUsage();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const used = cpuUsage(before);
  return (used.user + used.system) / requests;
}

const names = arg("--scenario", Object.keys(SCENARIOS).join(",")).split(",");
if (BATCHES === 0) {
  // For instruction counts (valgrind --tool=callgrind): a fixed warm-up, then REQUESTS, nothing
  // else; two runs with different REQUESTS give the instructions of one request.
  for (const name of names) {
    const make = await SCENARIOS[name]();
    await cpuPerRequest(make, gateway, 2000);
    await cpuPerRequest(make, gateway, REQUESTS);
    await gateway.core.drain();
  }
  Deno.exit(0);
}
const empty = () => Promise.resolve(new Response("{}"));
for (const name of names) {
  const make = await SCENARIOS[name]();
  await cpuPerRequest(make, gateway, REQUESTS); // warm-up: JIT, caches (verified token, identity)
  const got: number[] = [];
  const harness: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    harness.push(await cpuPerRequest(make, empty, Math.min(REQUESTS, 2000)));
    got.push(await cpuPerRequest(make, gateway, REQUESTS));
    await gateway.core.drain();
  }
  // Interference only ever adds CPU: the least batch is the steadiest estimate, the median the
  // usual one.
  const own = median(got) - median(harness);
  const least = Math.min(...got) - Math.min(...harness);
  console.error(
    `${name.padEnd(16)} gateway ${own.toFixed(1).padStart(6)} µs/req, least ${
      least.toFixed(1).padStart(6)
    } (batches ${got.map((x) => x.toFixed(0)).join(" ")}; harness ${median(harness).toFixed(1)})`,
  );
}
Deno.exit(0); // the ledger's batch timers and idle deadlines need not be waited for
