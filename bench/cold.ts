/**
 * Cold starts: spawn to the first 200 of a probe, each kind started several times, interleaved
 * (so the machine's load touches all alike): the gateway to its first `/health`, to its first
 * command (a user's `/tasks` over HTTPS, and the same typed on Telegram), the same with fifty
 * Telegram bots configured, and an empty Deno server spawned the same way (the floor any Deno
 * process sets on this machine).
 */
import type { RequestKit } from "./requests.ts";
import { MANY_BOTS } from "./scenarios.ts";
import { type Probe, type ServerSpec, spawnServer } from "./servers.ts";
import { botSecret } from "./stack.ts";
import type { Scenario } from "./wrk.ts";

/** One kind of cold start. */
interface ColdKind {
  name: string;
  server: string;
  probe?: Probe;
}

/** A wrk template sent once with fetch (`{{n}}` filled in). */
const send = (s: Scenario, n: number) =>
  fetch(s.url, {
    method: s.method,
    headers: s.headers,
    body: s.body?.replaceAll("{{n}}", String(n)),
  });

/** Spawns each kind `times` times; returns the ms of each start, by kind name. */
export async function coldStarts(
  specs: Record<string, ServerSpec>,
  kit: RequestKit,
  times: number,
  log: (line: string) => void,
): Promise<Record<string, number[]>> {
  const gw = (base: string) => `${base}/functions/v1/gateway`;
  let n = 990_000_000;
  const command: Probe = (base) => send(kit.command(`${gw(base)}/commands`, "tasks"), 0);
  const telegram = (route: string, secret?: string): Probe => (base) =>
    send(kit.telegram(gw(base), "alice", "/tasks", route, secret), ++n);
  const kinds: ColdKind[] = [
    { name: "gateway, GET /health", server: "gateway" },
    { name: "gateway, first command (HTTPS /tasks)", server: "gateway", probe: command },
    {
      name: "gateway, first Telegram /tasks",
      server: "gateway",
      probe: telegram("/telegram"),
    },
    {
      name: `gateway with ${MANY_BOTS} bots, first command (HTTPS /tasks)`,
      server: `gateway, ${MANY_BOTS} bots`,
      probe: command,
    },
    {
      name: `gateway with ${MANY_BOTS} bots, first Telegram /tasks (bot-${MANY_BOTS})`,
      server: `gateway, ${MANY_BOTS} bots`,
      probe: telegram(`/telegram/bot-${MANY_BOTS}`, botSecret(MANY_BOTS)),
    },
    { name: "empty Deno server", server: "empty" },
  ];
  const out: Record<string, number[]> = Object.fromEntries(kinds.map((k) => [k.name, []]));
  log("cold starts");
  for (let i = 0; i < times; i++) {
    for (const kind of kinds) {
      const server = await spawnServer(kind.name, specs[kind.server], { probe: kind.probe });
      out[kind.name].push(server.coldMs);
      await server.stop();
    }
  }
  return out;
}

/** The names the report compares: the first command, with fifty bots, and the empty server. */
export const COLD = {
  command: "gateway, first command (HTTPS /tasks)",
  manyBots: `gateway with ${MANY_BOTS} bots, first command (HTTPS /tasks)`,
  empty: "empty Deno server",
};
