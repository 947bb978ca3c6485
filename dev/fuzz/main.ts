/**
 * `deno task fuzz [--seed N] [--cases N] [--channel http|telegram|discord|slack] [--case I]
 * [--all]`:
 * a seeded, bounded fuzz run against the gateway on loopback. It starts its own stack (free
 * ports, `.local/fuzz-runs/<pid>`), links one Telegram, Discord and Slack account each, sends `--cases`
 * malformed inputs per channel (default 1000) one at a time, checks each against the invariants
 * in `checks.ts`, prints a summary per channel and exits 1 on any violation. `--case I` reruns
 * one case of a channel; `--all` lists every failing case.
 */
import { REPO_ROOT } from "../paths.ts";
import { type Secret } from "./checks.ts";
import { openCounts } from "./db_counts.ts";
import { type Channel, CHANNELS, DEFAULT_SEED, generateCase } from "./generate.ts";
import { type ChannelTally, printCase, printSummary } from "./report.ts";
import { linkAccounts, runCase } from "./run.ts";
import { makeCredentials } from "./send.ts";
import { startFuzzStack } from "./stack.ts";

const USAGE =
  "usage: deno task fuzz [--seed N] [--cases N] [--channel http|telegram|discord|slack] [--case I] [--all]";

const flags = parseFlags(Deno.args);
const seed = flags.seed ?? DEFAULT_SEED;
const channels: Channel[] = flags.channel ? [flags.channel] : [...CHANNELS];
const indices = flags.case !== undefined
  ? [flags.case]
  : Array.from({ length: flags.cases ?? 1000 }, (_, i) => i);
console.log(
  `fuzz: seed ${seed}, ${indices.length} case(s) per channel, channels ${channels.join(",")}`,
);

const stateDir = `${REPO_ROOT}/.local/fuzz-runs/${Deno.pid}`;
const started = performance.now();
const stack = await startFuzzStack(stateDir);
const interrupted = async () => {
  await stack.stop();
  await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  Deno.exit(130);
};
Deno.addSignalListener("SIGINT", interrupted);
Deno.addSignalListener("SIGTERM", interrupted);
let exitCode = 0;
try {
  const session = await openCounts(stateDir, stack.db.port);
  const creds = await makeCredentials(stack);
  await linkAccounts(stack, creds);
  console.log(`fuzz: stack ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const secrets: Secret[] = [
    { name: "service role key", value: stack.keys.serviceRoleKey },
    { name: "JWT secret", value: stack.keys.jwtSecret },
    { name: "signing key d", value: stack.keys.signingKey.d },
    { name: "Telegram bot token", value: stack.secrets.telegramBotToken },
    { name: "Telegram bot token secret part", value: stack.secrets.telegramBotToken.split(":")[1] },
    { name: "Telegram webhook secret", value: stack.secrets.telegramWebhookSecret },
    { name: "Discord bot token", value: stack.secrets.discordBotToken },
    { name: "Discord private key", value: stack.secrets.discordPrivateKey },
    { name: "Slack signing secret", value: stack.secrets.slackSigningSecret },
    { name: "Slack bot token", value: stack.secrets.slackBotToken },
  ];
  const tallies = new Map<Channel, ChannelTally>();
  let counts = await session.counts();
  for (const channel of channels) {
    const tally: ChannelTally = { cases: 0, statuses: new Map(), failures: [], ms: 0 };
    tallies.set(channel, tally);
    const channelStarted = performance.now();
    for (const index of indices) {
      const fuzzCase = generateCase(seed, channel, index);
      const { result, violations, next } = await runCase(
        stack,
        creds,
        session,
        fuzzCase,
        counts,
        secrets,
      );
      counts = next;
      tally.cases++;
      tally.statuses.set(result.obs.status, (tally.statuses.get(result.obs.status) ?? 0) + 1);
      if (violations.length) {
        tally.failures.push({ fuzzCase, status: result.obs.status, violations });
      }
      if (flags.case !== undefined) printCase(result);
    }
    tally.ms = performance.now() - channelStarted;
  }
  await session.close();
  printSummary(seed, tallies, flags.all);
  // "No 5xx" holds while the database is up: say so if it was not by the end.
  const health = await fetch(`${stack.gatewayUrl}/health`).then((r) =>
    r.body?.cancel().then(() => r.status)
  );
  if (health !== 200) console.log(`\nfuzz: warning: /health answered ${health} at the end`);
  const failing = [...tallies.values()].reduce((n, t) => n + t.failures.length, 0);
  const total = [...tallies.values()].reduce((n, t) => n + t.cases, 0);
  console.log(
    `\nfuzz: ${total} cases, ${failing} failing, seed ${seed}, ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  exitCode = failing ? 1 : 0;
} catch (err) {
  console.error(`fuzz: error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  exitCode = 2;
} finally {
  await stack.stop();
  await Deno.remove(stateDir, { recursive: true }).catch(() => {});
}
Deno.exit(exitCode);

function parseFlags(args: string[]) {
  const out: { seed?: number; cases?: number; channel?: Channel; case?: number; all: boolean } = {
    all: false,
  };
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i].split("=", 2);
    const value = () => inline ?? args[++i];
    const int = () => {
      const n = Number(value());
      if (!Number.isSafeInteger(n) || n < 0) fail(`${name} needs a non-negative integer`);
      return n;
    };
    if (name === "--seed") out.seed = int();
    else if (name === "--cases") out.cases = int();
    else if (name === "--case") out.case = int();
    else if (name === "--all") out.all = true;
    else if (name === "--channel") {
      const channel = value() as Channel;
      if (!CHANNELS.includes(channel)) fail(`--channel must be one of ${CHANNELS.join(", ")}`);
      out.channel = channel;
    } else fail(`unknown argument ${args[i]}`);
  }
  if (out.case !== undefined && !out.channel) fail("--case needs --channel");
  return out;
}

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  Deno.exit(2);
}
