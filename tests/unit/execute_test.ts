/**
 * Running a command (supabase/functions/_shared/execute.ts) right after a cold start: a command
 * that may use storage, functions or auth waits for the rest of supabase-js; one that declares
 * `databaseOnly` starts as soon as PostgREST's client is there.
 */
import { z } from "zod";
import { assertEquals } from "../assert.ts";
import { createRegistry, defineCommand } from "../../supabase/functions/_shared/command.ts";
import { createExecutor } from "../../supabase/functions/_shared/execute.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import type { Principal } from "../../supabase/functions/_shared/principal.ts";

Deno.test("a command waits for supabase-js unless it is database-only", async () => {
  const ran: string[] = [];
  const define = (name: string, databaseOnly: boolean) =>
    defineCommand({
      name,
      description: name,
      args: z.object({}),
      requires: "user",
      databaseOnly,
      run: () => (ran.push(name), Promise.resolve(reply.text(name))),
    });
  const [lean, full] = [define("lean", true), define("uses-storage", false)];
  let loaded!: () => void;
  const supabaseJs = new Promise<void>((resolve) => loaded = resolve);
  const executor = createExecutor({
    registry: createRegistry([lean, full]),
    clients: {
      ready: () => Promise.resolve(),
      full: () => supabaseJs,
      forToken: () => ({}) as never,
    },
    links: {},
  });
  const principal = {
    userId: "u",
    token: "t",
    expiresAt: 0,
    claims: {},
    channel: "http",
  } as unknown as Principal;
  const call = (command: typeof lean) =>
    executor.run({
      channel: "http",
      command,
      args: {},
      principal,
      chat: null,
      idempotencyKey: null,
      linking: null,
    });
  const waiting = call(full);
  await call(lean);
  assertEquals(ran, ["lean"], "the database-only command did not wait; the other did");
  loaded();
  await waiting;
  assertEquals(ran, ["lean", "uses-storage"]);
});
