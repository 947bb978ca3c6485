/**
 * The gateway in this process with its upstream answered at once: canned PostgREST and Telegram
 * answers by path (no sockets, no database), the bench's keys and two users' tokens, and request
 * builders for each channel. What inproc.ts measures and startup.ts times.
 */
import type { Logger } from "../supabase/functions/_shared/log.ts";

/**
 * Builds the gateway and what drives it. The gateway is imported first, before anything of the
 * bench's (whose imports share modules with it), so a caller can time each phase: `mark` is told
 * when one ends.
 */
export async function cannedGateway(mark: (phase: string) => void = () => {}, log?: Logger) {
  const { loadConfig } = await import("../supabase/functions/_shared/config.ts");
  const { silentLogger } = await import("../supabase/functions/_shared/log.ts");
  const { createGateway } = await import("../supabase/functions/gateway/gateway.ts");
  mark("importing the gateway");
  const { devAccessToken } = await import("../dev/auth.ts");
  const { loadOrCreateDevKeys, publicJwks } = await import("../dev/keys.ts");
  const { ALICE, BOB, DC, hex, PLAIN_SUPABASE_URL, STATE, TG } = await import("./stack.ts");
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

  mark("(the bench's own set-up)");
  const config = loadConfig();
  mark("reading the configuration");
  const gateway = createGateway(config, { fetch: fetchCanned, log: log ?? silentLogger });
  mark("building the gateway");
  const base = "http://127.0.0.1:8000/functions/v1/gateway";
  const issuer = `${PLAIN_SUPABASE_URL}/auth/v1`;
  const alice = await devAccessToken(keys.signingKey, issuer, {
    id: ALICE,
    email: "a@example.com",
  });
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

  return { gateway, base, alice, bob, command, telegram, discordRequests };
}
