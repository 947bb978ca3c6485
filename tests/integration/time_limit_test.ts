/**
 * How a claimed delivery ends when its command does not: a command that never settles is
 * answered once the command time limit has passed and frees its key, and a release that cannot
 * reach a frozen PostgREST does not hold the 503 back (it is written off the response path).
 */
import { assert, assertEquals } from "../assert.ts";
import { z } from "zod";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import {
  integration,
  newUser,
  ownPostgrest,
  runCommand,
  startGateway,
  taskCount,
  tokenFor,
} from "../fixtures.ts";
import { addAfter } from "../support/slow_command.ts";

/** The answer, or a failure naming what did not answer within `ms`. */
async function answered<T>(what: string, work: Promise<T>, ms = 5_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test(
  "a command that never settles is answered at the time limit and frees its key",
  integration,
  async () => {
    let stuck = true;
    const stuckAdd = addAfter(
      "stuck-add",
      "Add a task, or hang while the test says so (tests)",
      () => stuck ? new Promise(() => {}) : Promise.resolve(),
    );
    const gw = await startGateway({ commands: [...commands, stuckAdd], commandTimeoutMs: 300 });
    const user = await newUser();
    const token = await tokenFor(user);
    const key = { "idempotency-key": crypto.randomUUID() };
    try {
      const started = performance.now();
      const timedOut = await answered(
        "a command that never settles",
        runCommand(gw, token, "stuck-add", { title: "hangs" }, key),
      );
      const ms = performance.now() - started;
      assertEquals(timedOut.status, 504, "it may still write: outcome unknown");
      assertEquals((timedOut.body.error as { code: string }).code, "command_timeout");
      assert(ms < 2_000, `answered after ${Math.round(ms)} ms`);
      // The claim was released: a retry with the same key runs (here the command now finishes).
      stuck = false;
      const retried = await runCommand(gw, token, "stuck-add", { title: "hangs" }, key);
      assertEquals(retried.status, 200);
      assertEquals(await taskCount(user.id), 1);
    } finally {
      await gw.close();
    }
  },
);

Deno.test(
  "a release that cannot reach a frozen PostgREST does not hold back the 503",
  integration,
  async () => {
    // The command fails retryably (a platform it called was unavailable) just as PostgREST
    // freezes: the claim must be released, and before, the 503 waited for that release to time
    // out (5 s). Now the release is written in the background and lands once PostgREST is back.
    const rest = await ownPostgrest("time-limit-release");
    let fail = true;
    const flaky = defineCommand({
      name: "flaky",
      description: "Fails retryably while PostgREST freezes, then succeeds (tests)",
      args: z.object({}),
      requires: "user",
      run() {
        if (!fail) return Promise.resolve(reply.text("done"));
        rest.freeze();
        return Promise.reject(new GatewayError(503, "upstream_error", "Try again."));
      },
    });
    const gw = await startGateway({ restUrl: rest.url, commands: [...commands, flaky] });
    const token = await tokenFor(await newUser());
    const key = { "idempotency-key": crypto.randomUUID() };
    try {
      assertEquals((await runCommand(gw, token, "tasks")).status, 200); // warm connections
      const started = performance.now();
      const failed = await answered("the 503", runCommand(gw, token, "flaky", {}, key), 15_000);
      const ms = performance.now() - started;
      rest.thaw();
      assertEquals(failed.status, 503);
      assert(ms < 1_500, `the 503 waited ${Math.round(ms)} ms for the release`);
      await gw.handler.core.drain(); // the release, written once PostgREST answers again
      fail = false;
      const retried = await runCommand(gw, token, "flaky", {}, key);
      assertEquals(retried.status, 200, "released: the retry runs");
    } finally {
      await gw.close();
      await rest.stop();
    }
  },
);
