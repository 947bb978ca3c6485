/**
 * `deno task bench`: the gateway's own cost, against PostgREST as the platform runs it (JWT
 * cache on, see `dev/postgrest.ts`). Starts its own PostgreSQL and PostgREST (fresh, free ports)
 * and the gateway as a separate process, drives them with `wrk`, and prints, in one run:
 *
 * - throughput at 32 connections and p50/p99 at 1, for HTTPS read/write/Idempotency-Key,
 *   Telegram, Discord and Slack read/write, each beside direct PostgREST serving the same
 *   query with the same token, as ratios (and the chat channels against HTTPS);
 * - PostgREST (and platform) calls per command per channel;
 * - where the gateway's CPU goes, per channel (a `--cpu-prof` profile summarised by area);
 * - cold start: spawn to the first 200 from /health and from a first command, beside an empty
 *   Deno server spawned the same way (the floor); RSS over 100,000 requests after warm-up.
 *
 * Scenarios run in alternating rounds (so drift in the machine's load touches all alike) and the
 * median round counts. `--quick`: shorter runs, one round, no memory run. Writes
 * `.local/bench/results.json`.
 */
import { devAccessToken } from "../dev/auth.ts";
import { loadOrCreateDevKeys, postgrestJwks, publicJwks } from "../dev/keys.ts";
import { startPostgres } from "../dev/postgres.ts";
import { freePort } from "../dev/ports.ts";
import { startPostgrest } from "../dev/postgrest.ts";
import {
  createDiscordSink,
  createSlackSink,
  createTelegramSink,
  sinkMounts,
} from "../dev/sinks/mod.ts";
import { slackSignature } from "../adapters/slack/verify.ts";
import { REPO_ROOT } from "../dev/paths.ts";
import { ensureWrk, type Scenario, wrk, type WrkResult } from "./wrk.ts";
import { summariseProfile } from "./profile.ts";
import { createActionCodec } from "../supabase/functions/_shared/action_tokens.ts";

const STATE = `${REPO_ROOT}/.local/bench`;
const ALICE = "a11ce000-0000-4000-8000-000000000001"; // reads
const BOB = "b0b00000-0000-4000-8000-000000000002"; // writes (so reads stay the same size)
const TG = { alice: "424242", bob: "525252" };
const DC = { alice: "424243", bob: "525253" };
const SL = { team: "T0BENCH", alice: "U0ALICE", bob: "U0BOB" };
const quick = Deno.args.includes("--quick");
/** `--only <text>`: just the scenarios whose name contains it (and direct PostgREST), no memory run. */
const only = Deno.args.includes("--only") ? Deno.args[Deno.args.indexOf("--only") + 1] : undefined;
const wanted = (name: string) =>
  !only || name.startsWith("direct") || name.startsWith("proxy floor") ||
  new RegExp(only).test(name);
const SECONDS = quick ? 3 : 5;
const ROUNDS = quick ? 1 : 3;
const MEMORY_REQUESTS = 100_000;

const log = (line: string) => console.error(`[bench] ${line}`);
if (only === "notify") {
  // The notification bench alone (bench/notify.ts): a stack of its own, no wrk.
  await (await import("./notify.ts")).benchNotifications(log);
  Deno.exit(0);
}
await ensureWrk(log);

const keys = await loadOrCreateDevKeys(STATE);
const db = await startPostgres({ stateDir: STATE, port: freePort(), reset: true });
const rest = await startPostgrest({
  port: freePort(),
  dbUrl: db.authenticatorUrl,
  jwks: postgrestJwks(keys),
  stateDir: STATE,
});
await db.psql(`insert into chat_identities (user_id, provider, external_id) values
  ('${ALICE}', 'telegram', '${TG.alice}'), ('${ALICE}', 'discord', '${DC.alice}'),
  ('${BOB}', 'telegram', '${TG.bob}'), ('${BOB}', 'discord', '${DC.bob}'),
  ('${ALICE}', 'slack', '${SL.team}:${SL.alice}'), ('${BOB}', 'slack', '${SL.team}:${SL.bob}');
  insert into tasks (user_id, title, source)
    select '${ALICE}', 'Task ' || n, 'web' from generate_series(1, 20) n;
  -- Other users, as a real table has: with two owners only, the planner would estimate half the
  -- table per owner and scan it all once the writes have grown it.
  insert into auth.users (id, email)
    select gen_random_uuid(), 'user' || n || '@example.com' from generate_series(1, 2000) n;
  insert into tasks (user_id, title, source)
    select id, 'Task', 'web' from auth.users, generate_series(1, 5) where email like 'user%';
  analyze;`);

// Updates are posted straight to the gateway, not through the sink: every private chat is open.
const telegram = createTelegramSink({ privateChats: "any" });
const discord = createDiscordSink();
const mounts = sinkMounts(telegram, discord, createSlackSink());
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
  SLACK_SIGNING_SECRET: "0123456789abcdef0123456789abcdef",
  SLACK_API_BASE: `${sinkUrl}/__sinks/slack/api`,
  GATEWAY_RATE_LIMIT_PER_MINUTE: "0",
  BENCH_REST_URL: rest.url,
  BENCH_QUIET: "1",
};

let floorUrl = "";
let floor: Deno.ChildProcess | undefined;

/** What a cold start waits for: the first 200 of this request to the new process. */
type Probe = (base: string) => Promise<Response>;
const healthProbe: Probe = (base) => fetch(`${base}/gateway/health`);

/**
 * Spawns `script` (default: the gateway) with the gateway's environment; resolves with the
 * process and the ms from spawn to the first 200 answer to `probe` (default: `GET /health`).
 */
async function spawnGateway(
  port: number,
  flags: string[] = [],
  { script = `${REPO_ROOT}/bench/gateway_server.ts`, probe = healthProbe } = {},
) {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", "--v8-flags=--expose-gc", ...flags, script],
    env: { ...env, BENCH_PORT: String(port) },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  for (;;) {
    try {
      const res = await probe(`http://127.0.0.1:${port}`);
      await res.body?.cancel();
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (performance.now() - started > 20_000) throw new Error(`${script} did not become ready`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return { child, coldMs: performance.now() - started, port };
}

/** CPU ticks (1/100 s) of a process: user + system. */
const cpuTicks = (pid: number) => {
  try {
    const f = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return { ppid: -1, ticks: 0 }; // gone
  }
};
const processes = () =>
  [...Deno.readDirSync("/proc")].filter((e) => /^\d+$/.test(e.name)).map((e) => Number(e.name));
const cmdline = (pid: number) => {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`);
  } catch {
    return "";
  }
};
/**
 * CPU so far of the gateway, this bench's PostgREST (a child of this process) and its PostgreSQL
 * (the postmaster on the bench's data directory and its backends), and the machine's steal time
 * (CPU the hypervisor gave to others): on a shared machine, throughput moves with steal, while
 * CPU per request does not.
 */
function cpuNow(gatewayPid: number) {
  const all = processes().map((pid) => ({ pid, ...cpuTicks(pid) }));
  const postmaster = all.find((p) => cmdline(p.pid).includes(`${STATE}/db`))?.pid;
  const sum = (ps: typeof all) => ps.reduce((n, p) => n + p.ticks, 0);
  const stat = Deno.readTextFileSync("/proc/stat").split("\n")[0].trim().split(/\s+/).map(Number);
  return {
    gateway: cpuTicks(gatewayPid).ticks,
    postgrest: sum(all.filter((p) => p.ppid === Deno.pid && cmdline(p.pid).includes("postgrest"))),
    postgres: sum(all.filter((p) => p.pid === postmaster || p.ppid === postmaster)),
    steal: stat[8],
    total: stat.slice(1, 9).reduce((a, b) => a + b, 0),
  };
}
/** µs of CPU per request for each part between two {@link cpuNow} readings, and steal in %. */
function cpuPerRequest(a: ReturnType<typeof cpuNow>, b: ReturnType<typeof cpuNow>, n: number) {
  const us = (ticks: number) => (ticks * 10_000) / Math.max(n, 1);
  return {
    gateway: us(b.gateway - a.gateway),
    postgrest: us(b.postgrest - a.postgrest),
    postgres: us(b.postgres - a.postgres),
    stealPct: (100 * (b.steal - a.steal)) / Math.max(b.total - a.total, 1),
  };
}
type CpuShare = ReturnType<typeof cpuPerRequest>;

/** The gateway's RSS and V8 heap in MB, read right after a full garbage collection. */
const memoryAfterGc = async (port: number) => {
  const res = await fetch(`http://127.0.0.1:${port}/__bench/memory`);
  const usage = await res.json() as { rss: number; heapUsed: number };
  return { rss: usage.rss / 2 ** 20, heap: usage.heapUsed / 2 ** 20 };
};
const median = (xs: number[]) =>
  xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] : NaN;
/** The median of the pairwise slopes of equally spaced samples (per step). */
const theilSen = (ys: number[]) => {
  const slopes: number[] = [];
  for (let i = 0; i < ys.length; i++) {
    for (let j = i + 1; j < ys.length; j++) slopes.push((ys[j] - ys[i]) / (j - i));
  }
  return slopes.length ? median(slopes) : NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const aliceToken = await devAccessToken(keys.signingKey, `${supabaseUrl}/auth/v1`, {
  id: ALICE,
  email: "alice@example.com",
});
const bobToken = await devAccessToken(keys.signingKey, `${supabaseUrl}/auth/v1`, {
  id: BOB,
  email: "bob@example.com",
});
const json = { "content-type": "application/json" };
// The default bots' button keys, as the gateway derives them (buttonScope, _shared/bot.ts).
const tgCodec = createActionCodec({
  keys: [keys.serviceRoleKey],
  scope: `telegram:${env.TELEGRAM_BOT_TOKEN.split(":")[0]}`,
});
const dcCodec = createActionCodec({
  keys: [keys.serviceRoleKey],
  scope: `discord:${env.DISCORD_APPLICATION_ID}`,
});

/** The scenarios, for a gateway at `gw`. Counters make ids unique; `round` keeps them apart. */
async function scenarios(gw: string, round: number): Promise<Record<string, Scenario>> {
  const user = (token: string) => ({ apikey: keys.anonKey, authorization: `Bearer ${token}` });
  const telegramBody = (from: string, text: string) =>
    JSON.stringify({
      update_id: 0,
      message: {
        message_id: 0,
        date: 1764700000,
        chat: { id: Number(from), type: "private", first_name: "Bench" },
        from: { id: Number(from), is_bot: false, first_name: "Bench" },
        text,
        entities: [{ type: "bot_command", offset: 0, length: text.split(" ")[0].length }],
      },
    }).replace('"update_id":0', '"update_id":{{n}}').replace(
      '"message_id":0',
      '"message_id":{{n}}',
    );
  const tgHeaders = { ...json, "x-telegram-bot-api-secret-token": webhookSecret };
  return {
    "direct read": {
      method: "GET",
      url: `${rest.url}/tasks?select=id,title,done,created_at,source` +
        `&order=done.asc,created_at.desc,id.desc&offset=0&limit=15`,
      headers: { ...user(aliceToken), prefer: "count=exact" },
    },
    // The same request through a bare Deno pass-through proxy (bench/floor_proxy.ts).
    "proxy floor read": {
      method: "GET",
      url: `${floorUrl}/tasks?select=id,title,done,created_at,source` +
        `&order=done.asc,created_at.desc,id.desc&offset=0&limit=15`,
      headers: { ...user(aliceToken), prefer: "count=exact" },
    },
    "direct write": {
      method: "POST",
      url:
        `${rest.url}/tasks?on_conflict=user_id,idempotency_key&select=id,title,done,created_at,source`,
      headers: {
        ...user(bobToken),
        ...json,
        prefer: "resolution=merge-duplicates,return=representation",
        accept: "application/vnd.pgrst.object+json",
      },
      body: `{"title":"Bench task","source":"http","idempotency_key":"direct-${round}-{{n}}"}`,
    },
    "HTTPS read": {
      method: "POST",
      url: `${gw}/commands/tasks`,
      headers: { authorization: `Bearer ${aliceToken}`, ...json },
      body: "{}",
    },
    "HTTPS write": {
      method: "POST",
      url: `${gw}/commands/add`,
      headers: { authorization: `Bearer ${bobToken}`, ...json },
      body: `{"title":"Bench task"}`,
    },
    "HTTPS write, Idempotency-Key": {
      method: "POST",
      url: `${gw}/commands/add`,
      headers: { authorization: `Bearer ${bobToken}`, ...json },
      // wrk cannot vary a header per request without lines; the key is in a pre-built file.
      lines: await prebuilt(`idem-${round}`, ["idempotency-key"], (n) => [
        `bench-${round}-${n}`,
        `{"title":"Bench task"}`,
      ]),
    },
    "Telegram read": {
      method: "POST",
      url: `${gw}/telegram`,
      headers: tgHeaders,
      body: telegramBody(TG.alice, "/tasks"),
    },
    "Telegram write": {
      method: "POST",
      url: `${gw}/telegram`,
      headers: tgHeaders,
      body: telegramBody(TG.bob, "/add Bench task"),
    },
    // A button calling the same command as "Telegram read" / "Discord read" (/tasks, page 1):
    // the press runs it as the presser and edits the message in place.
    "Telegram press": {
      method: "POST",
      url: `${gw}/telegram`,
      headers: tgHeaders,
      body: JSON.stringify({
        update_id: 0,
        callback_query: {
          id: "Q",
          from: { id: Number(TG.alice), is_bot: false, first_name: "Bench" },
          chat_instance: "1",
          message: {
            message_id: 1,
            date: 1764700000,
            chat: { id: Number(TG.alice), type: "private", first_name: "Bench" },
            text: "…",
          },
          data: tgCodec.encode({ label: "Page 1", command: "tasks", args: { page: 1 } }),
        },
      }).replace('"update_id":0', '"update_id":{{n}}').replace('"id":"Q"', '"id":"q{{n}}"'),
    },
    "Discord press": {
      method: "POST",
      url: `${gw}/discord`,
      headers: json,
      lines: await signedDiscord(`dcp-${round}`, DC.alice, {
        custom_id: dcCodec.encode({ label: "Page 1", command: "tasks", args: { page: 1 } }),
        component_type: 2,
      }, 3),
    },
    "Discord read": {
      method: "POST",
      url: `${gw}/discord`,
      headers: json,
      lines: await signedDiscord(`dcr-${round}`, DC.alice, { name: "tasks" }),
    },
    "Discord write": {
      method: "POST",
      url: `${gw}/discord`,
      headers: json,
      lines: await signedDiscord(`dcw-${round}`, DC.bob, {
        name: "add",
        options: [{ name: "title", type: 3, value: "Bench task" }],
      }),
    },
    "Slack read": {
      method: "POST",
      url: `${gw}/slack`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      lines: await signedSlack(`slr-${round}`, SL.alice, "/tasks", ""),
    },
    "Slack write": {
      method: "POST",
      url: `${gw}/slack`,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      lines: await signedSlack(`slw-${round}`, SL.bob, "/add", "Bench task"),
    },
  };
}

const LINES = quick ? 10_000 : 16_000; // more than a round's runs of one scenario send
let snowflake = BigInt(Date.now()) << 22n;

async function prebuilt(name: string, headers: string[], line: (n: number) => string[]) {
  const file = `${STATE}/${name}.lines`;
  const out: string[] = [];
  for (let n = 0; n < LINES; n++) out.push(line(n).join("\t"));
  await Deno.writeTextFile(file, out.join("\n") + "\n");
  return { file, lineHeaders: headers };
}

async function signedDiscord(
  name: string,
  userId: string,
  data: Record<string, unknown>,
  type = 2,
) {
  const timestamp = String(Math.floor(Date.now() / 1000) + 60); // valid for the whole run
  const rows: string[][] = [];
  for (let n = 0; n < LINES; n++) {
    const id = String(++snowflake);
    const body = JSON.stringify({
      id,
      application_id: env.DISCORD_APPLICATION_ID,
      type,
      token: `bench${id}`,
      version: 1,
      data: type === 2 ? { id: "1", type: 1, ...data } : data,
      ...(type === 3 ? { message: { id: "1", channel_id: "2" } } : {}),
      channel_id: "2",
      user: { id: userId, username: "bench" },
    });
    const sig = await crypto.subtle.sign(
      "Ed25519",
      pair.privateKey,
      new TextEncoder().encode(timestamp + body),
    );
    rows.push([hex(sig), timestamp, body]);
  }
  const file = `${STATE}/${name}.lines`;
  await Deno.writeTextFile(file, rows.map((r) => r.join("\t")).join("\n") + "\n");
  return { file, lineHeaders: ["x-signature-ed25519", "x-signature-timestamp"] };
}

/** Slash commands signed as Slack signs them, each with its own trigger id. */
async function signedSlack(name: string, user: string, command: string, text: string) {
  const timestamp = String(Math.floor(Date.now() / 1000) + 60); // valid for the whole run
  const rows: string[] = [];
  for (let n = 0; n < LINES; n++) {
    const body = new URLSearchParams({
      team_id: SL.team,
      user_id: user,
      command,
      text,
      api_app_id: "A0BENCH",
      // Answered inline: never posted to.
      response_url: "https://hooks.slack.com/commands/T0BENCH/1/bench",
      trigger_id: `${++snowflake}.1.bench`,
    }).toString();
    rows.push(
      [slackSignature(env.SLACK_SIGNING_SECRET, timestamp, body), timestamp, body].join("\t"),
    );
  }
  const file = `${STATE}/${name}.lines`;
  await Deno.writeTextFile(file, rows.join("\n") + "\n");
  return { file, lineHeaders: ["x-slack-signature", "x-slack-request-timestamp"] };
}

/** What is compared with what: [gateway scenario, baseline scenario]. */
const PAIRS: [string, string][] = [
  ["proxy floor read", "direct read"],
  ["HTTPS read", "direct read"],
  ["HTTPS write", "direct write"],
  ["HTTPS write, Idempotency-Key", "direct write"],
  ["Telegram read", "direct read"],
  ["Telegram write", "direct write"],
  ["Discord read", "direct read"],
  ["Discord write", "direct write"],
  ["Slack read", "direct read"],
  ["Slack write", "direct write"],
];
/** A button press against the same command typed: the added p50 is reported. */
const PRESS_VS_TYPED: [string, string][] = [
  ["Telegram press", "Telegram read"],
  ["Discord press", "Discord read"],
];
const CHAT_VS_HTTPS: [string, string, number][] = [
  ["Telegram read", "HTTPS read", 0.7],
  ["Telegram write", "HTTPS write", 0.5],
  ["Discord read", "HTTPS read", 0.7],
  ["Discord write", "HTTPS write", 0.5],
  ["Slack read", "HTTPS read", 0.7],
  ["Slack write", "HTTPS write", 0.5],
];

/** Where the next run of a pre-built file starts (each line is used once). */
const cursors = new Map<string, number>();
async function measure(s: Scenario, connections: number, seconds: number, counterBase: number) {
  const file = s.lines?.file;
  const r = await wrk(s, connections, seconds, counterBase, file ? cursors.get(file) ?? 0 : 0);
  if (file) cursors.set(file, (cursors.get(file) ?? 0) + r.requests + connections + 1);
  return r;
}

const started = performance.now();
const colds: number[] = [];
const coldsCommand: number[] = [];
const coldsEmpty: number[] = [];
const loadLine = () => Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
try {
  log(`load average before: ${loadLine()}`);
  log("cold starts");
  // Five of each, interleaved: the gateway to its first /health, the gateway to its first
  // command (a user's /tasks over HTTPS: supabase-js and jose load on that request), and an
  // empty Deno server (bench/empty_server.ts), the floor any Deno process sets on this machine.
  const firstCommand: Probe = (base) =>
    fetch(`${base}/functions/v1/gateway/commands/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${aliceToken}`, "content-type": "application/json" },
      body: "{}",
    });
  const emptyServer = { script: `${REPO_ROOT}/bench/empty_server.ts` };
  for (let i = 0; i < 5; i++) {
    for (
      const [list, options] of [
        [colds, {}],
        [coldsCommand, { probe: firstCommand }],
        [coldsEmpty, emptyServer],
      ] as const
    ) {
      const { child, coldMs } = await spawnGateway(freePort(), [], options);
      list.push(coldMs);
      child.kill("SIGTERM");
      await child.status;
    }
  }

  const gateway = await spawnGateway(freePort());
  const floorPort = freePort();
  floor = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-prompt", `${REPO_ROOT}/bench/floor_proxy.ts`],
    env: { BENCH_REST_URL: rest.url, BENCH_PORT: String(floorPort) },
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  floorUrl = `http://127.0.0.1:${floorPort}`;
  for (let i = 0; i < 500; i++) {
    const up = await fetch(`${floorUrl}/`).then((r) => r.body?.cancel(), () => "down");
    if (up !== "down") break;
    await sleep(10);
  }
  const gw = `http://127.0.0.1:${gateway.port}/functions/v1/gateway`;

  // Calls per command: 200 requests one at a time, then the background completions settle.
  log("calls per command");
  const calls: Record<string, Record<string, number>> = {};
  const callScenarios = await scenarios(gw, 0);
  for (const [i, [name, s]] of Object.entries(callScenarios).entries()) {
    if (name.startsWith("direct") || name.startsWith("proxy floor") || !wanted(name)) continue;
    await fetch(`http://127.0.0.1:${gateway.port}/__bench/calls`).then((r) => r.text());
    const r = await measure(s, 1, 1, (i + 1) * 100_000);
    await sleep(300);
    const counts = await fetch(`http://127.0.0.1:${gateway.port}/__bench/calls`)
      .then((r) => r.json()) as Record<string, number>;
    calls[name] = Object.fromEntries(
      Object.entries(counts).map(([k, v]) => [k, Math.round((v / r.requests) * 100) / 100]),
    );
  }

  const results: Record<string, { c1: WrkResult[]; c32: WrkResult[]; cpu: CpuShare[] }> = {};
  for (let round = 1; round <= ROUNDS; round++) {
    await db.psql("analyze tasks"); // as autovacuum would, after the last round's writes
    const all = await scenarios(gw, round);
    for (const [i, [name, s]] of Object.entries(all).entries()) {
      if (!wanted(name)) continue;
      results[name] ??= { c1: [], c32: [], cpu: [] };
      // Update ids are the ledger's keys: every run of every scenario gets its own range.
      const base = round * 100_000_000 + (i + 1) * 10_000_000;
      if (round === 1) await measure(s, 8, 1, base + 5_000_000); // warm-up
      await sleep(200);
      const c1 = await measure(s, 1, SECONDS, base);
      await sleep(200);
      const pid = name.startsWith("proxy floor") ? floor!.pid : gateway.child.pid;
      const before = cpuNow(pid);
      const c32 = await measure(s, 32, SECONDS, base + 2_000_000);
      const cpu = cpuPerRequest(before, cpuNow(pid), c32.requests);
      results[name].cpu.push(cpu);
      for (const r of [c1, c32]) {
        if (r.errors) log(`${name}: ${r.errors} errors`);
        if (r.wrapped) log(`${name}: pre-built requests ran out (replays were measured)`);
      }
      results[name].c1.push(c1);
      results[name].c32.push(c32);
      log(
        `round ${round} ${name}: c=32 ${c32.perSecond.toFixed(0)}/s (CPU µs/request: gateway ${
          cpu.gateway.toFixed(0)
        }, PostgREST ${cpu.postgrest.toFixed(0)}, PostgreSQL ${cpu.postgres.toFixed(0)}; steal ${
          cpu.stealPct.toFixed(0)
        }%); c=1 p50 ${c1.p50.toFixed(3)} ms p99 ${c1.p99.toFixed(3)} ms`,
      );
    }
  }
  const rate = (name: string) => median(results[name]?.c32.map((r) => r.perSecond) ?? []);
  const p50 = (name: string) => median(results[name]?.c1.map((r) => r.p50) ?? []);
  const p99 = (name: string) => median(results[name]?.c1.map((r) => r.p99) ?? []);
  const cpuOf = (name: string, part: keyof CpuShare) =>
    median(results[name]?.cpu.map((c) => c[part]) ?? []);

  // Memory: 100,000 requests after warm-up, HTTPS and chat, sampled every 10,000 after a full GC.
  const memory: Record<string, number[]> = {};
  const heap: Record<string, number[]> = {};
  const sample = async (name: string) => {
    const m = await memoryAfterGc(gateway.port);
    memory[name].push(m.rss);
    heap[name].push(m.heap);
  };
  if (!quick && !only) {
    const all = await scenarios(gw, 9);
    for (const name of ["HTTPS read", "Telegram read"]) {
      log(`memory: ${name}, warm-up then ${MEMORY_REQUESTS} requests`);
      await wrk(all[name], 32, 5, 90_000_000);
      memory[name] = [];
      heap[name] = [];
      await sample(name);
      let sent = 0;
      let counter = 91_000_000;
      while (sent < MEMORY_REQUESTS) {
        // wrk runs for a time, not a count: short runs, sampled each time 10,000 more were sent.
        const r = await wrk(all[name], 32, 2, counter);
        counter += r.requests + 1;
        const before = Math.floor(sent / 10_000);
        sent += r.requests;
        if (Math.floor(sent / 10_000) > before) await sample(name);
      }
    }
  }
  gateway.child.kill("SIGTERM");
  await gateway.child.status;
  floor.kill("SIGTERM");
  await floor.status;
  floor = undefined;

  // Where the CPU goes: one profiled gateway per channel, c=32 for a few seconds.
  log("profiles");
  const profiles: Record<string, ReturnType<typeof summariseProfile>> = {};
  for (const name of ["HTTPS read", "Telegram read", "Discord read", "Slack read"].filter(wanted)) {
    const dir = await Deno.makeTempDir({ dir: STATE, prefix: "prof-" });
    const g = await spawnGateway(freePort(), ["--cpu-prof", `--cpu-prof-dir=${dir}`]);
    const s = (await scenarios(`http://127.0.0.1:${g.port}/functions/v1/gateway`, 7))[name];
    await measure(s, 8, 1, 70_000_000);
    const r = await measure(s, 32, SECONDS, 71_000_000);
    g.child.kill("SIGTERM");
    await g.child.status;
    const [file] = [...Deno.readDirSync(dir)].map((e) => `${dir}/${e.name}`);
    const kept = `${STATE}/${name.replaceAll(" ", "-").toLowerCase()}.cpuprofile`;
    await Deno.rename(file, kept); // for Chrome DevTools or `deno task bench:profile`
    profiles[name] = summariseProfile(JSON.parse(await Deno.readTextFile(kept)), r.requests);
    await Deno.remove(dir, { recursive: true });
  }

  // Report.
  const f = (n: number, d = 2) => n.toFixed(d);
  console.log(
    `\nBenchmark: ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, PostgREST ` +
      `JWT cache on; ${ROUNDS} round(s) of ${SECONDS} s per measure, median round; load ` +
      `average now ${loadLine()}\n`,
  );
  console.log(
    "| scenario | c=32 req/s | vs direct | c=1 p50 ms | added p50 ms | c=1 p99 ms | " +
      "gateway CPU µs/req | PostgREST + PostgreSQL CPU µs/req | steal |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  const cpuCells = (name: string) =>
    `${f(cpuOf(name, "gateway"), 0)} | ${f(cpuOf(name, "postgrest"), 0)} + ${
      f(cpuOf(name, "postgres"), 0)
    } | ${f(cpuOf(name, "stealPct"), 0)}%`;
  for (const name of ["direct read", "direct write"]) {
    console.log(
      `| ${name} | ${f(rate(name), 0)} | | ${f(p50(name), 3)} | | ${f(p99(name), 3)} | ${
        cpuCells(name)
      } |`,
    );
  }
  for (const [name, base] of PAIRS) {
    console.log(
      `| ${name} | ${f(rate(name), 0)} | ${f(rate(name) / rate(base))}x | ${f(p50(name), 3)} | ${
        f(p50(name) - p50(base), 3)
      } | ${f(p99(name), 3)} | ${cpuCells(name)} |`,
    );
  }
  for (const [name, typed] of PRESS_VS_TYPED) {
    console.log(
      `| ${name} (/tasks) | ${f(rate(name), 0)} | ${f(rate(name) / rate(typed))}x typed | ${
        f(p50(name), 3)
      } | ${f(p50(name) - p50(typed), 3)} over typed | ${f(p99(name), 3)} | ${cpuCells(name)} |`,
    );
  }
  const targets: { what: string; value: string; target: string; ok: boolean }[] = [];
  for (const name of ["HTTPS read", "HTTPS write"]) {
    const base = name.endsWith("read") ? "direct read" : "direct write";
    const ratio = rate(name) / rate(base);
    targets.push({
      what: `${name} / direct, c=32`,
      value: `${f(ratio)}x`,
      target: ">= 0.9x",
      ok: ratio >= 0.9,
    });
    const added = p50(name) - p50(base);
    targets.push({
      what: `${name} added p50, c=1`,
      value: `${f(added, 3)} ms`,
      target: "<= 0.35 ms",
      ok: added <= 0.35,
    });
  }
  for (const [name, base, min] of CHAT_VS_HTTPS) {
    const ratio = rate(name) / rate(base);
    targets.push({
      what: `${name} / ${base}, c=32`,
      value: `${f(ratio)}x`,
      target: `>= ${min}x`,
      ok: ratio >= min,
    });
  }
  const cold = median(colds);
  targets.push({
    what: "cold start, spawn to first 200 /health (median of 5)",
    value: `${f(cold, 0)} ms`,
    target: "<= 100 ms",
    ok: cold <= 100,
  });
  for (const [name, samples] of Object.entries(memory)) {
    // A trend, not noise: the Theil-Sen slope (the median of the slopes between every two
    // samples), which a heap's saw-tooth or one resize does not move, over the whole run.
    const growth = theilSen(samples) * (samples.length - 1);
    targets.push({
      what: `RSS trend over ${MEMORY_REQUESTS} ${name} (after full GCs; Theil-Sen slope x run)`,
      value: `${f(growth, 1)} MB`,
      target: "< 10 MB",
      ok: growth < 10,
    });
  }
  console.log("\n| target | measured | wanted | |\n|---|---|---|---|");
  for (const t of targets) {
    console.log(`| ${t.what} | ${t.value} | ${t.target} | ${t.ok ? "met" : "MISSED"} |`);
  }
  console.log("\nOutgoing calls per command (after background completions):");
  for (const [name, counts] of Object.entries(calls)) {
    const list = Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ");
    console.log(`  ${name.padEnd(30)} ${list}`);
  }
  console.log("\nGateway CPU per request, by area (µs, c=32; from --cpu-prof):");
  for (const [name, p] of Object.entries(profiles)) {
    console.log(`  ${name.padEnd(14)} ${p.line}`);
  }
  for (const [name, samples] of Object.entries(memory)) {
    console.log(
      `RSS every 10,000 ${name}, after a full GC (MB): ${
        samples.map((m) => m.toFixed(0)).join(", ")
      }`,
    );
    console.log(`  V8 heap used: ${heap[name].map((m) => m.toFixed(1)).join(", ")}`);
  }
  const list = (xs: number[]) =>
    `${xs.map((c) => c.toFixed(0)).join(", ")} (median ${f(median(xs), 0)})`;
  console.log(`cold starts, spawn to first 200 (ms):`);
  console.log(`  gateway, GET /health:           ${list(colds)}`);
  console.log(`  gateway, first command (/tasks): ${list(coldsCommand)}`);
  console.log(`  empty Deno server (the floor):   ${list(coldsEmpty)}`);
  console.log(`bench took ${f((performance.now() - started) / 1000, 0)} s`);
  await Deno.writeTextFile(
    `${STATE}/results.json`,
    JSON.stringify(
      { results, calls, profiles, memory, heap, colds, coldsCommand, coldsEmpty, targets },
      null,
      2,
    ) + "\n",
  );
} finally {
  floor?.kill("SIGTERM");
  await sinkServer.shutdown();
  await rest.stop();
  await db.stop();
}
// Notifications: drain throughput and commit-to-send latency, on a stack of their own.
if (!only) await (await import("./notify.ts")).benchNotifications(log);
