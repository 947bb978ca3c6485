/**
 * What the bench measures, as tables: the servers (the gateway and its references, on the plain
 * and the TLS path), the scenarios (one request shape against one server, run in this order in
 * every round, so a pair compared is measured back to back), and what is compared with what (the
 * targets of DESIGN.md's "Performance targets", and figures reported without a target). A new
 * scenario is a row here (and, when it has one, a row of TARGETS).
 */
import { type BenchStack, botSecret, DC, manyTelegramBots, SL } from "./stack.ts";
import type { RequestKit } from "./requests.ts";
import { script, type ServerSpec } from "./servers.ts";
import type { TlsFront } from "./tls_front.ts";
import type { Scenario } from "./wrk.ts";

/** How many Telegram bots the "50 bots" gateway has (issue 18: one bot or fifty, same cost). */
export const MANY_BOTS = 50;

/** The servers by name; `tls` is the TLS front when the TLS scenarios are wanted. */
export function serverSpecs(stack: BenchStack, tls?: TlsFront): Record<string, ServerSpec> {
  const gateway = { script: script("gateway_server.ts"), env: stack.gatewayEnv, gateway: true };
  const peerEnv = {
    SUPABASE_URL: stack.gatewayEnv.SUPABASE_URL,
    SUPABASE_ANON_KEY: stack.keys.anonKey,
    BENCH_REST_URL: stack.rest.url,
  };
  // The TLS path: an https:// SUPABASE_URL (REST through the front), the CA trusted by Deno.
  const overTls = (env: Record<string, string>) => {
    if (!tls) return env;
    const { BENCH_REST_URL: _, ...rest } = env;
    return { ...rest, SUPABASE_URL: tls.url, DENO_CERT: tls.caFile };
  };
  const specs: Record<string, ServerSpec> = {
    gateway,
    "gateway, Deno fetch": { ...gateway, env: { ...gateway.env, BENCH_HTTP: "fetch" } },
    [`gateway, ${MANY_BOTS} bots`]: {
      ...gateway,
      env: {
        ...gateway.env,
        TELEGRAM_BOTS: manyTelegramBots(MANY_BOTS, `${stack.sinkUrl}/__sinks/telegram`),
      },
    },
    peer: { script: script("peer_server.ts"), env: peerEnv },
    floor: { script: script("floor.ts"), env: { BENCH_REST_URL: stack.rest.url } },
    "floor, http1": {
      script: script("floor.ts"),
      env: { BENCH_REST_URL: stack.rest.url, BENCH_HTTP: "http1" },
    },
    empty: { script: script("empty_server.ts"), env: {} },
  };
  if (tls) {
    specs["gateway TLS"] = { ...gateway, env: overTls(gateway.env) };
    specs["peer TLS"] = { ...specs.peer, env: overTls(peerEnv) };
    specs["floor TLS"] = {
      ...specs.floor,
      env: { BENCH_REST_URL: `${tls.url}/rest/v1`, DENO_CERT: tls.caFile },
    };
  }
  return specs;
}

/** What a scenario's request is built from. */
export interface ScenarioContext {
  kit: RequestKit;
  /** The server's base URL (a gateway's includes `/functions/v1/gateway`). */
  base: string;
  /** Unique per scenario and round: names pre-built files and idempotency keys. */
  tag: string;
}

/** One request shape against one server. */
export interface BenchScenario {
  name: string;
  /** A key of {@link serverSpecs}, or `postgrest` (direct, no Deno process in the path). */
  server: string;
  build(c: ScenarioContext): Scenario | Promise<Scenario>;
}

type Build = BenchScenario["build"];
const directRead: Build = ({ kit, base }) => kit.restRead(base);
const directWrite: Build = ({ kit, base, tag }) => kit.restWrite(base, tag);
const httpsRead: Build = ({ kit, base }) => kit.command(`${base}/commands`, "tasks");
const httpsWrite: Build = ({ kit, base }) => kit.command(`${base}/commands`, "add");
const peerRead: Build = ({ kit, base }) => kit.command(base, "tasks");
const peerWrite: Build = ({ kit, base }) => kit.command(base, "add");
const telegramRead: Build = ({ kit, base }) => kit.telegram(base, "alice", "/tasks");
const telegramWrite: Build = ({ kit, base }) => kit.telegram(base, "bob", "/add Bench task");
const discordRead: Build = ({ kit, base, tag }) =>
  kit.discord(base, tag, DC.alice, { name: "tasks" });
const discordWrite: Build = ({ kit, base, tag }) =>
  kit.discord(base, tag, DC.bob, {
    name: "add",
    options: [{ name: "title", type: 3, value: "Bench task" }],
  });

const slackRead: Build = ({ kit, base, tag }) => kit.slack(base, tag, SL.alice, "/tasks");
const slackWrite: Build = ({ kit, base, tag }) =>
  kit.slack(base, tag, SL.bob, "/add", "Bench task");

/** The scenarios, in the order each round runs them. */
export const SCENARIOS: BenchScenario[] = [
  // Reads on the plain path: PostgREST, the two references, the gateway's channels.
  { name: "direct read", server: "postgrest", build: directRead },
  { name: "floor read", server: "floor", build: directRead },
  { name: "peer read", server: "peer", build: peerRead },
  { name: "HTTPS read", server: "gateway", build: httpsRead },
  { name: "Telegram read", server: "gateway", build: telegramRead },
  // One bot or fifty (issue 18), right after one: the request goes to one of the fifty.
  {
    name: `Telegram read, ${MANY_BOTS} bots`,
    server: `gateway, ${MANY_BOTS} bots`,
    build: ({ kit, base }) =>
      kit.telegram(base, "alice", "/tasks", `/telegram/bot-37`, botSecret(37)),
  },
  { name: "Discord read", server: "gateway", build: discordRead },
  { name: "Slack read", server: "gateway", build: slackRead },
  // Writes on the plain path.
  { name: "direct write", server: "postgrest", build: directWrite },
  { name: "floor write", server: "floor", build: directWrite },
  { name: "peer write", server: "peer", build: peerWrite },
  { name: "HTTPS write", server: "gateway", build: httpsWrite },
  {
    name: "HTTPS write, Idempotency-Key",
    server: "gateway",
    build: ({ kit, base, tag }) => kit.idempotentAdd(base, tag),
  },
  { name: "Telegram write", server: "gateway", build: telegramWrite },
  { name: "Discord write", server: "gateway", build: discordWrite },
  { name: "Slack write", server: "gateway", build: slackWrite },
  // Buttons running /tasks, against the same command typed.
  { name: "Telegram press", server: "gateway", build: ({ kit, base }) => kit.telegramPress(base) },
  {
    name: "Discord press",
    server: "gateway",
    build: ({ kit, base, tag }) => kit.discordPress(base, tag, DC.alice),
  },
  // What the gateway's own HTTP/1.1 client buys on the plain path (http1.ts: keep or remove).
  { name: "floor read, http1", server: "floor, http1", build: directRead },
  { name: "HTTPS read, Deno fetch", server: "gateway, Deno fetch", build: httpsRead },
  { name: "HTTPS write, Deno fetch", server: "gateway, Deno fetch", build: httpsWrite },
  // The hosted-like path: TLS (nginx) between every Deno process and PostgREST.
  { name: "TLS floor read", server: "floor TLS", build: directRead },
  { name: "TLS peer read", server: "peer TLS", build: peerRead },
  { name: "TLS HTTPS read", server: "gateway TLS", build: httpsRead },
  { name: "TLS Telegram read", server: "gateway TLS", build: telegramRead },
  { name: "TLS Discord read", server: "gateway TLS", build: discordRead },
  { name: "TLS Slack read", server: "gateway TLS", build: slackRead },
  { name: "TLS floor write", server: "floor TLS", build: directWrite },
  { name: "TLS peer write", server: "peer TLS", build: peerWrite },
  { name: "TLS HTTPS write", server: "gateway TLS", build: httpsWrite },
  { name: "TLS Telegram write", server: "gateway TLS", build: telegramWrite },
  { name: "TLS Discord write", server: "gateway TLS", build: discordWrite },
  { name: "TLS Slack write", server: "gateway TLS", build: slackWrite },
];

/**
 * A comparison of two scenarios measured in the same rounds: `ratio` is a's c=32 throughput over
 * b's, `p50` is a's c=1 p50 minus b's (ms). With `min`/`max` it is a target; `tls` targets must
 * come within 0.1 of the same comparison on the plain path (`plain`).
 */
export interface Comparison {
  a: string;
  b: string;
  kind: "ratio" | "p50";
  min?: number;
  max?: number;
  /** For a TLS comparison: the plain one it must not fall more than 0.1 behind. */
  plain?: Comparison;
}

const PLAIN_TARGETS: Comparison[] = [
  { a: "HTTPS read", b: "floor read", kind: "ratio", min: 0.9 },
  { a: "HTTPS read", b: "peer read", kind: "ratio", min: 1.15 },
  { a: "HTTPS write", b: "peer write", kind: "ratio", min: 1.2 },
  { a: "HTTPS read", b: "peer read", kind: "p50", max: 0 },
  { a: "Telegram read", b: "HTTPS read", kind: "ratio", min: 0.8 },
  { a: "Discord read", b: "HTTPS read", kind: "ratio", min: 0.8 },
  // DESIGN.md: Slack's first round is held to 0.7x on reads.
  { a: "Slack read", b: "HTTPS read", kind: "ratio", min: 0.7 },
  { a: "Telegram write", b: "HTTPS write", kind: "ratio", min: 0.5 },
  { a: "Discord write", b: "HTTPS write", kind: "ratio", min: 0.5 },
  { a: "Slack write", b: "HTTPS write", kind: "ratio", min: 0.5 },
];

/** The targets: the plain ones, the same on the TLS path, and one bot or fifty. */
export const TARGETS: Comparison[] = [
  ...PLAIN_TARGETS,
  ...PLAIN_TARGETS.map((plain) => ({ ...plain, a: `TLS ${plain.a}`, b: `TLS ${plain.b}`, plain })),
  { a: `Telegram read, ${MANY_BOTS} bots`, b: "Telegram read", kind: "ratio", min: 0.9 },
];

/** Figures reported beside the targets, without one. */
export const FIGURES: Comparison[] = [
  { a: "floor read", b: "direct read", kind: "ratio" },
  { a: "HTTPS read", b: "direct read", kind: "ratio" },
  { a: "HTTPS write", b: "direct write", kind: "ratio" },
  { a: "peer read", b: "direct read", kind: "ratio" },
  { a: "HTTPS write, Idempotency-Key", b: "HTTPS write", kind: "ratio" },
  { a: "Telegram press", b: "Telegram read", kind: "ratio" },
  { a: "Discord press", b: "Discord read", kind: "ratio" },
  { a: "floor read, http1", b: "floor read", kind: "ratio" },
  { a: "HTTPS read", b: "HTTPS read, Deno fetch", kind: "ratio" },
  { a: "HTTPS write", b: "HTTPS write, Deno fetch", kind: "ratio" },
  { a: "TLS HTTPS read", b: "HTTPS read", kind: "ratio" },
];
