/**
 * `deno task dev [--reset]`: starts the local stack (PostgreSQL, PostgREST, the gateway and the
 * Telegram/Discord sinks behind http://127.0.0.1:54321) with demo data, prints how to use it, and
 * stops every child on Ctrl-C or SIGTERM. `--reset` wipes the local database first.
 */
import { stackPortsFromEnv } from "./ports.ts";
import type { Stack } from "./stack.ts";
import { stackStateDir } from "./paths.ts";

const STATE_DIR = stackStateDir();

const reset = Deno.args.includes("--reset");
const started = performance.now();
let stack: Stack;
try {
  // Imported here: a command that fails its own checks (a bad name, a schema the channels cannot
  // serve) throws while the registry loads, and that is one line too.
  const { startStack } = await import("./stack.ts");
  stack = await startStack({
    stateDir: STATE_DIR,
    ports: stackPortsFromEnv(),
    reset,
    log: (line) => console.error(`[stack] ${line}`),
  });
} catch (err) {
  // Start-up problems are one line that says what to do; no stack trace.
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  Deno.exit(1);
}
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const gw = `${stack.url}/functions/v1/gateway`;
console.log(`
Local Supabase bot gateway is up (${seconds} s)${reset ? ", database reset" : ""}.

  Web page    ${stack.url}/   (chat accounts: sign in as a demo user, link, notifications)
  Gateway     ${gw}
  REST        ${stack.url}/rest/v1
  JWKS        ${stack.url}/auth/v1/.well-known/jwks.json
  Telegram    POST ${gw}/telegram   (outgoing calls: ${stack.url}/__sinks/telegram/sent)
              POST ${gw}/telegram/staging   (a second bot: simulate telegram --bot staging ...)
  Discord     POST ${gw}/discord    (outgoing calls: ${stack.url}/__sinks/discord/calls)
              POST ${gw}/discord/staging    (a second application)
  Database    ${stack.db.dbUrl.replace(/:[^:@/]+@/, ":***@")} (password: ${STATE_DIR}/db-password)
  State       ${STATE_DIR} (local-only keys and data)

Demo users: alice@example.com, bob@example.com. Get a token (while this runs):

  TOKEN=$(./deno task token alice@example.com)

Add a task as alice, then list hers:

  curl -s -X POST ${gw}/commands/add -H "Authorization: Bearer $TOKEN" \\
       -H 'content-type: application/json' -d '{"title":"Buy milk"}'
  curl -s -X POST ${gw}/commands/tasks -H "Authorization: Bearer $TOKEN"

Ctrl-C stops everything.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.error("\n[stack] stopping…");
  await stack.stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
