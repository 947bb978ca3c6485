/**
 * One stack per state folder, with real starts: a stack started here in a throwaway state folder
 * on free ports, then `deno task dev` (dev/main.ts) started again on the same folder, which must
 * refuse in one line naming the running stack and leave its database serving. A lock left by a
 * dead process is taken over; a busy front-door port is named with its variable before
 * PostgreSQL is started. Also: the stack passes the gateway's variables through.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { freePort, type StackPorts } from "../../dev/ports.ts";
import { type Stack, startStack } from "../../dev/stack.ts";
import { runningStack } from "../../dev/stack_lock.ts";
import { createLogger } from "../../supabase/functions/_shared/log.ts";
import { integration } from "../fixtures.ts";

const newStateDir = () => `${REPO_ROOT}/.local/test-lock-${crypto.randomUUID().slice(0, 8)}`;
const freePorts = (): StackPorts => ({ front: freePort(), db: freePort(), rest: freePort() });

/** `deno task dev` as a child process on `stateDir` and `ports`; its exit code and stderr. */
async function devStart(stateDir: string, ports: StackPorts) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${REPO_ROOT}/dev/main.ts`],
    env: {
      STACK_STATE_DIR: stateDir,
      STACK_PORT: String(ports.front),
      STACK_DB_PORT: String(ports.db),
      STACK_REST_PORT: String(ports.rest),
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

const start = (stateDir: string, ports: StackPorts, env: Record<string, string> = {}) =>
  startStack({ stateDir, ports, env, gatewayLog: createLogger(() => {}) });

async function health(stack: Stack): Promise<number> {
  const res = await fetch(`${stack.url}/functions/v1/gateway/health`);
  await res.body?.cancel();
  return res.status;
}

Deno.test("a second start on a running stack's folder refuses", integration, async (t) => {
  const stateDir = newStateDir();
  const ports = freePorts();
  let stack: Stack | null = await start(stateDir, ports, {
    GATEWAY_RATE_LIMIT_PER_MINUTE: "0",
    GATEWAY_JWT_ISSUER: "http://127.0.0.1:54321/auth/v1",
  });
  try {
    await t.step("the running stack is named in its state folder", async () => {
      const running = await runningStack(stateDir);
      assertEquals(running?.pid, Deno.pid);
      assertEquals(running?.url, stack!.url);
    });
    await t.step("`deno task dev` again: one line naming it, exit 1", async () => {
      const second = await devStart(stateDir, ports);
      assertEquals(second.code, 1);
      assertEquals(second.stderr.split("\n").length, 1, second.stderr);
      assertMatch(
        second.stderr,
        new RegExp(`^error: a local stack is already running from .* \\(pid ${Deno.pid}, `),
      );
      assertEquals(second.stdout, "");
    });
    await t.step("the first stack still serves, database included", async () => {
      assertEquals(await health(stack!), 200);
      assertEquals(await stack!.db.psql("select 1"), "1");
    });
    await t.step("a second start in the same process refuses too", async () => {
      await assertRejects(
        () => start(stateDir, freePorts()),
        (err) => /already running/.test(String(err)),
      );
      assertEquals(await health(stack!), 200);
    });
    await t.step("the gateway gets the variables the shell set", () => {
      assertEquals(stack!.gatewayEnv.GATEWAY_RATE_LIMIT_PER_MINUTE, "0");
      assertEquals(stack!.gatewayEnv.GATEWAY_JWT_ISSUER, "http://127.0.0.1:54321/auth/v1");
    });
    await t.step(
      "the stack drains notifications on its own timer (at least every 2 s)",
      async () => {
        const alice = "a11ce000-0000-4000-8000-000000000001";
        await stack!.db.psql(`insert into public.chat_identities (user_id, provider, external_id)
        values ('${alice}', 'telegram', '7000123');`);
        const committed = Date.now();
        await stack!.db.psql(`select public.gateway_notify('${alice}', 'On its own timer')`);
        const call = await stack!.telegram.waitFor(
          (c) => c.method === "sendMessage" && String(c.params.chat_id) === "7000123",
          3_000,
        );
        assertEquals(call.params.text, "On its own timer");
        assert(call.time - committed <= 2_500, `${call.time - committed} ms after the commit`);
      },
    );
    await t.step("stopping releases the folder", async () => {
      await stack!.stop();
      stack = null;
      assertEquals(await runningStack(stateDir), null);
      await Deno.stat(`${stateDir}/stack.json`).then(
        () => assert(false, "stack.json left behind"),
        () => {},
      );
    });
    await t.step("a lock whose process is gone is taken over", async () => {
      const gone = new Deno.Command("true").spawn();
      await gone.status;
      await Deno.writeTextFile(
        `${stateDir}/stack.json`,
        JSON.stringify({ pid: gone.pid, url: "http://127.0.0.1:1", ports, started: "" }),
      );
      stack = await start(stateDir, ports);
      assertEquals(await health(stack), 200);
      assertEquals((await runningStack(stateDir))?.pid, Deno.pid);
    });
  } finally {
    await stack?.stop();
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a busy front-door port is named before PostgreSQL starts", integration, async () => {
  const stateDir = newStateDir();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const ports = { ...freePorts(), front: (busy.addr as Deno.NetAddr).port };
    const res = await devStart(stateDir, ports);
    assertEquals(res.code, 1);
    assertEquals(
      res.stderr,
      `error: port ${ports.front} on 127.0.0.1 is already in use (another program, or a local ` +
        "stack with another STACK_STATE_DIR): stop it or set STACK_PORT to a free port",
    );
    const made = await Deno.stat(`${stateDir}/db`).then(() => true, () => false);
    assert(!made, "PostgreSQL was set up although the stack could not start");
    assertEquals(await runningStack(stateDir), null);
  } finally {
    busy.close();
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
});
