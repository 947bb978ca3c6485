/**
 * `deno task bench`: measures the gateway against the targets in DESIGN.md on this machine.
 * Starts its own PostgreSQL and PostgREST (fresh, free ports), runs the gateway as a separate
 * process, and compares: HTTPS command vs the same query straight to PostgREST (throughput at 32
 * connections, p50 at 1), Telegram and Discord vs HTTPS (p50, linked user, warm), cold start
 * (spawn to first 200 from /health) and RSS growth over 50,000 requests. Prints a table and
 * writes `.local/bench/results.json`.
 */
import { devAccessToken } from "../dev/auth.ts";
import { loadOrCreateDevKeys, postgrestJwks, publicJwks } from "../dev/keys.ts";
import { startPostgres } from "../dev/postgres.ts";
import { freePort } from "../dev/ports.ts";
import { startPostgrest } from "../dev/postgrest.ts";
import { createDiscordSink, createTelegramSink, sinkMounts } from "../dev/sinks/mod.ts";
import { type LoadResult, runLoad } from "./load.ts";
import { REPO_ROOT } from "../dev/paths.ts";

const STATE = `${REPO_ROOT}/.local/bench`;
const ALICE = "a11ce000-0000-4000-8000-000000000001";
const TG_USER = "424242";
const DC_USER = "424243";
const quick = Deno.args.includes("--quick");
const SECONDS = quick ? 3 : 10;
const SAMPLES = quick ? 500 : 2000;

const log = (line: string) => console.error(`[bench] ${line}`);

const keys = await loadOrCreateDevKeys(STATE);
const db = await startPostgres({ stateDir: STATE, port: freePort(), reset: true });
const rest = await startPostgrest({
  port: freePort(),
  dbUrl: db.authenticatorUrl,
  jwks: postgrestJwks(keys),
  stateDir: STATE,
});
await db.psql(`insert into chat_identities (user_id, provider, external_id) values
  ('${ALICE}', 'telegram', '${TG_USER}'), ('${ALICE}', 'discord', '${DC_USER}')`);

const telegram = createTelegramSink();
const discord = createDiscordSink();
const mounts = sinkMounts(telegram, discord);
const sinkServer = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
  const path = new URL(req.url).pathname;
  return mounts.find((m) => path.startsWith(m.prefix))!.handler(req);
});
const sinkUrl = `http://127.0.0.1:${sinkServer.addr.port}`;

const pair = await crypto.subtle.generateKey("Ed25519", true, ["sign", "verify"]) as CryptoKeyPair;
const hex = (b: ArrayBuffer) =>
  Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
const supabaseUrl = "http://127.0.0.1:1"; // only REST is used, and it goes straight to PostgREST
const webhookSecret = "bench_secret_" + "x".repeat(20);
const env = {
  SUPABASE_URL: supabaseUrl,
  SUPABASE_ANON_KEY: keys.anonKey,
  SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
  SUPABASE_JWKS: JSON.stringify(publicJwks(keys)),
  GATEWAY_SIGNING_KEY: JSON.stringify(keys.signingKey),
  TELEGRAM_BOT_TOKEN: "7000000002:BENCH_" + "y".repeat(30),
  TELEGRAM_WEBHOOK_SECRET: webhookSecret,
  TELEGRAM_BOT_USERNAME: "BenchBot",
  TELEGRAM_API_ROOT: `${sinkUrl}/__sinks/telegram`,
  DISCORD_PUBLIC_KEY: hex(await crypto.subtle.exportKey("raw", pair.publicKey)),
  DISCORD_APPLICATION_ID: "100000000000000099",
  DISCORD_API_BASE: `${sinkUrl}/__sinks/discord/api/v10`,
  GATEWAY_RATE_LIMIT_PER_MINUTE: "0",
  BENCH_REST_URL: rest.url,
  BENCH_QUIET: "1",
};

/** Spawns the gateway; resolves with the process and ms from spawn to the first 200 /health. */
async function spawnGateway(port: number) {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", `${REPO_ROOT}/bench/gateway_server.ts`],
    env: { ...env, BENCH_PORT: String(port) },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/gateway/health`);
      await res.body?.cancel();
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (performance.now() - started > 20_000) throw new Error("gateway did not become ready");
    await new Promise((r) => setTimeout(r, 2));
  }
  return { child, coldMs: performance.now() - started };
}

const rssMb = async (pid: number) => {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
};

try {
  log("cold starts");
  const colds: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { child, coldMs } = await spawnGateway(freePort());
    colds.push(coldMs);
    child.kill("SIGTERM");
    await child.status;
  }
  colds.sort((a, b) => a - b);

  const port = freePort();
  const { child: gateway } = await spawnGateway(port);
  const gw = `http://127.0.0.1:${port}/functions/v1/gateway`;
  const token = await devAccessToken(keys.signingKey, `${supabaseUrl}/auth/v1`, {
    id: ALICE,
    email: "alice@example.com",
  });
  const restRequest = () =>
    new Request(
      `${rest.url}/tasks?select=id,title,done,created_at,source&order=done.asc,created_at.desc&limit=50`,
      { headers: { apikey: keys.anonKey, authorization: `Bearer ${token}` } },
    );
  const httpRequest = () =>
    new Request(`${gw}/commands/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "{}",
    });
  let updateId = 1;
  const telegramRequest = () =>
    new Request(`${gw}/telegram`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-telegram-bot-api-secret-token": webhookSecret,
      },
      body: JSON.stringify({
        update_id: updateId++,
        message: {
          message_id: updateId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: Number(TG_USER), type: "private", first_name: "Alice" },
          from: { id: Number(TG_USER), is_bot: false, first_name: "Alice" },
          text: "/tasks",
          entities: [{ type: "bot_command", offset: 0, length: 6 }],
        },
      }),
    });
  let snowflake = BigInt(Date.now()) << 22n;
  const discordRequest = async () => {
    const id = String(++snowflake);
    const body = JSON.stringify({
      id,
      application_id: env.DISCORD_APPLICATION_ID,
      type: 2,
      token: `bench${id}`,
      version: 1,
      data: { id: "1", name: "tasks", type: 1 },
      channel_id: "2",
      user: { id: DC_USER, username: "alice" },
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const sig = await crypto.subtle.sign(
      "Ed25519",
      pair.privateKey,
      new TextEncoder().encode(timestamp + body),
    );
    return new Request(`${gw}/discord`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-signature-ed25519": hex(sig),
        "x-signature-timestamp": timestamp,
      },
      body,
    });
  };

  const measure = async (
    name: string,
    request: () => Request | Promise<Request>,
    connections: number,
  ) => {
    await runLoad({ connections, requests: 300, request }); // warm-up
    const r = await runLoad({ connections, seconds: SECONDS, request });
    log(
      `${name} c=${connections}: ${r.perSecond.toFixed(0)}/s p50 ${
        r.p50.toFixed(3)
      } ms, errors ${r.errors}`,
    );
    return r;
  };

  // Latency at one connection: each kind in blocks of 500 requests, the blocks alternating
  // round by round (so drift in the machine's load affects every kind alike), with a pause
  // between blocks so one kind's background work (ledger completions) is not billed to the next.
  const kinds = {
    rest1: restRequest,
    http1: httpRequest,
    telegram1: telegramRequest,
    discord1: discordRequest,
  };
  const results: Record<string, LoadResult> = {};
  const roundP50s: Record<string, number[]> = {};
  for (const [name, request] of Object.entries(kinds)) {
    await runLoad({ connections: 1, requests: 300, request }); // warm-up
    roundP50s[name] = [];
  }
  const rounds = Math.max(1, Math.round(SAMPLES / 500));
  for (let round = 0; round < rounds; round++) {
    for (const [name, request] of Object.entries(kinds)) {
      await new Promise((r) => setTimeout(r, 100));
      const r = await runLoad({ connections: 1, requests: 500, request });
      roundP50s[name].push(r.p50);
      results[name] = r;
      if (r.errors) log(`${name}: ${r.errors} errors`);
    }
  }
  for (const [name, p50s] of Object.entries(roundP50s)) {
    const sorted = [...p50s].sort((a, b) => a - b);
    results[name].p50 = sorted[Math.floor((sorted.length - 1) / 2)];
    log(`${name}: p50 per round ${p50s.map((p) => p.toFixed(3)).join(", ")} ms`);
  }
  results.rest32 = await measure("PostgREST", restRequest, 32);
  results.http32 = await measure("HTTPS", httpRequest, 32);

  // Memory: warm up until V8's heap has grown to its working size, then watch RSS over 50,000
  // more requests, sampled every 10,000 (a leak climbs steadily; a sized heap stays flat).
  log("memory: 20,000 warm-up requests, then 50,000 measured");
  await runLoad({ connections: 32, requests: 20_000, request: httpRequest });
  const rssSamples = [await rssMb(gateway.pid)];
  let memErrors = 0;
  for (let i = 0; i < 5; i++) {
    memErrors +=
      (await runLoad({ connections: 32, requests: 10_000, request: httpRequest })).errors;
    rssSamples.push(await rssMb(gateway.pid));
  }
  const [rssBefore, rssAfter] = [rssSamples[0], rssSamples.at(-1)!];
  const mem = {
    requests: 50_000,
    errors: memErrors,
    samples: rssSamples.map((m) => Math.round(m)),
  };
  gateway.kill("SIGTERM");
  await gateway.status;

  const report = {
    machine: `${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}`,
    https_throughput_ratio: results.http32.perSecond / results.rest32.perSecond,
    https_added_p50_ms: results.http1.p50 - results.rest1.p50,
    telegram_added_p50_ms: results.telegram1.p50 - results.http1.p50,
    discord_added_p50_ms: results.discord1.p50 - results.http1.p50,
    cold_start_ms_median: colds[2],
    cold_starts_ms: colds.map((c) => Math.round(c)),
    rss_growth_mb: rssAfter - rssBefore,
    rss_mb: { before: rssBefore, after: rssAfter, ...mem },
    runs: results,
  };
  const row = (what: string, value: string, target: string, ok: boolean) =>
    console.log(
      `${what.padEnd(44)} ${value.padStart(12)}   target ${target.padEnd(10)} ${
        ok ? "met" : "MISSED"
      }`,
    );
  console.log(
    `\nBenchmark (${report.machine}; c=1: median p50 of ${
      Math.max(1, Math.round(SAMPLES / 500))
    } rounds of 500, c=32: ${SECONDS} s)\n`,
  );
  row(
    "HTTPS throughput / PostgREST, 32 connections",
    report.https_throughput_ratio.toFixed(2) + "x",
    ">= 0.75x",
    report.https_throughput_ratio >= 0.75,
  );
  row(
    "HTTPS added p50 latency, 1 connection",
    report.https_added_p50_ms.toFixed(3) + " ms",
    "<= 0.5 ms",
    report.https_added_p50_ms <= 0.5,
  );
  row(
    "Telegram added p50 over HTTPS (warm)",
    report.telegram_added_p50_ms.toFixed(3) + " ms",
    "<= 1 ms",
    report.telegram_added_p50_ms <= 1,
  );
  row(
    "Discord added p50 over HTTPS (warm)",
    report.discord_added_p50_ms.toFixed(3) + " ms",
    "<= 1 ms",
    report.discord_added_p50_ms <= 1,
  );
  row(
    "Cold start to first 200 /health (median of 5)",
    report.cold_start_ms_median.toFixed(0) + " ms",
    "<= 300 ms",
    report.cold_start_ms_median <= 300,
  );
  row(
    "RSS growth over 50,000 requests",
    report.rss_growth_mb.toFixed(1) + " MB",
    "< 20 MB",
    report.rss_growth_mb < 20,
  );
  console.log(
    `\nPostgREST c=32 ${results.rest32.perSecond.toFixed(0)}/s, gateway c=32 ${
      results.http32.perSecond.toFixed(0)
    }/s; p50 at c=1: PostgREST ${results.rest1.p50.toFixed(3)} ms, HTTPS ${
      results.http1.p50.toFixed(3)
    } ms, Telegram ${results.telegram1.p50.toFixed(3)} ms, Discord ${
      results.discord1.p50.toFixed(3)
    } ms`,
  );
  console.log(`RSS every 10,000 requests after warm-up (MB): ${mem.samples.join(", ")}`);
  await Deno.writeTextFile(`${STATE}/results.json`, JSON.stringify(report, null, 2) + "\n");
} finally {
  await sinkServer.shutdown();
  await rest.stop();
  await db.stop();
}
