/**
 * Integration tests of the Discord channel's slow and failing paths against the local stack:
 * commands past the time budget (deferred response, then exactly one edit of the original
 * message), failures after deferring, failures before anything was sent (released ledger key,
 * "unavailable" message), a database outage, and the registration task's dry run.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { discordRoutes } from "../../adapters/discord/mod.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import {
  contentOf,
  DISCORD_APP_ID,
  discordEnv,
  discordKeys,
  interact,
  linkDiscord,
  signedRequest,
  slash,
} from "../discord_fixtures.ts";
import {
  integration,
  linkCodeFor,
  newUser,
  randomExternalId,
  startGateway,
  taskCount,
  tokenFor,
} from "../fixtures.ts";
import { REPO_ROOT } from "../../dev/paths.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let flakyCalls = 0;
const testCommands = [
  ...commands,
  defineCommand({
    name: "slow",
    description: "Adds a task, slowly",
    args: z.object({ ms: z.int().min(0).max(5000), title: z.string() }),
    requires: "user",
    publicReply: true,
    async run(ctx, { ms, title }) {
      await pause(ms);
      const added = await commands.find((c) => c.name === "add")!.run(ctx, { title });
      return reply.text(`Slowly: ${added.text} _ok_`);
    },
  }),
  defineCommand({
    name: "slow-fail",
    description: "Fails after a while",
    args: z.object({ ms: z.int(), internal: z.boolean() }),
    requires: "user",
    async run(_ctx, { ms, internal }) {
      await pause(ms);
      if (internal) throw new Error("boom with secret detail");
      throw new GatewayError(409, "conflict", "That clashes with something.");
    },
  }),
  defineCommand({
    name: "flaky",
    description: "Fails like an outage the first time",
    args: z.object({}),
    requires: "user",
    run() {
      if (++flakyCalls === 1) throw new GatewayError(503, "db_unavailable", "down");
      return Promise.resolve(reply.text(`flaky ran ${flakyCalls} times`));
    },
  }),
];

Deno.test({
  name: "discord slow and failing interactions",
  ...integration,
  async fn(t) {
    const keys = await discordKeys();
    const gw = await startGateway({ env: discordEnv(keys), commands: testCommands });
    const [fastRoute] = discordRoutes(gw.handler.core, { deferAfterMs: 50 });
    const quick = async (body: Record<string, unknown>) => {
      gw.discord.registerInteraction(DISCORD_APP_ID, String(body.token));
      const res = await fastRoute.handle(await signedRequest(keys, body), {}, { request_id: "t" });
      assert.equal(res.status, 200);
      return await res.json();
    };
    const patches = (token: unknown) =>
      gw.discord.calls.filter((c) => c.method === "PATCH" && c.path.includes(String(token)));
    const user = await newUser();
    const caller = { userId: randomExternalId(), guildId: "800000000000000002" };
    try {
      await linkDiscord(gw, keys, caller, await linkCodeFor(await tokenFor(user)));

      await t.step("past the budget: type 5 first, then exactly one PATCH", async () => {
        const body = slash(caller, "slow", { ms: 300, title: "Deferred task" });
        const first = await quick(body);
        assert.deepEqual(first, { type: 5, data: { flags: 0 } }, "public command: not ephemeral");
        assert.equal(patches(body.token).length, 0);
        await gw.handler.core.drain();
        const sent = patches(body.token);
        assert.equal(sent.length, 1);
        assert.equal(sent[0].status, 200);
        const edit = sent[0].body as Record<string, unknown>;
        assert.match(String(edit.content), /^Slowly: Added #\d+: Deferred task \\_ok\\_$/);
        assert.deepEqual(edit.allowed_mentions, { parse: [] });
        assert.equal(gw.discord.interaction(String(body.token))!.original!.content, edit.content);
        assert.equal(await taskCount(user.id), 1);
        // A repeat replays the stored answer (the reply that was edited in) and runs nothing.
        const repeat = await quick(body);
        assert.equal(repeat.type, 4);
        assert.equal(repeat.data.content, edit.content);
        await gw.handler.core.drain();
        assert.equal(patches(body.token).length, 1);
        assert.equal(await taskCount(user.id), 1);
      });

      await t.step("the default budget (2 s) through the gateway", async () => {
        const fast = await interact(gw, keys, slash(caller, "slow", { ms: 0, title: "quick" }));
        assert.equal(fast.type, 4);
        const body = slash(caller, "slow", { ms: 2300, title: "late" });
        const started = performance.now();
        assert.equal((await interact(gw, keys, body)).type, 5);
        const waited = performance.now() - started;
        assert.ok(waited >= 1900 && waited < 2300, `deferred after ${waited} ms`);
        await gw.handler.core.drain();
        assert.equal(patches(body.token).length, 1);
      });

      await t.step("a failure after deferring is edited into the message", async () => {
        const final = slash(caller, "slow-fail", { ms: 200, internal: false });
        assert.deepEqual(await quick(final), { type: 5, data: { flags: 64 } });
        const internal = slash(caller, "slow-fail", { ms: 200, internal: true });
        assert.equal((await quick(internal)).type, 5);
        await gw.handler.core.drain();
        assert.equal(
          (patches(final.token)[0].body as { content: string }).content,
          "That clashes with something.",
        );
        assert.equal(
          (patches(internal.token)[0].body as { content: string }).content,
          "Something went wrong; try again.",
        );
        assert.ok(!gw.logs.join("\n").includes(String(internal.token)));
      });

      await t.step("an outage before anything was sent releases the interaction", async () => {
        const body = slash(caller, "flaky");
        const first = await interact(gw, keys, body);
        assert.deepEqual(first.data, {
          content: "The service is unavailable right now; try again in a moment.",
          allowed_mentions: { parse: [] },
          flags: 64,
        });
        assert.equal(first.type, 4);
        const second = await interact(gw, keys, body);
        assert.equal(contentOf(second), "flaky ran 2 times", "the ledger key was released");
      });
    } finally {
      await gw.close();
    }

    await t.step("database unreachable: a private 'unavailable' message, 200", async () => {
      const down = await startGateway({ env: discordEnv(keys), restUrl: "http://127.0.0.1:9" });
      try {
        const res = await interact(down, keys, slash(caller, "tasks"));
        assert.equal(res.type, 4);
        assert.match(contentOf(res), /unavailable right now/);
        assert.equal(res.data!.flags, 64);
      } finally {
        await down.close();
      }
    });
  },
});

Deno.test("discord:register --dry-run prints JSON without any settings", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "discord:register", "--dry-run"],
    cwd: REPO_ROOT,
    clearEnv: true,
    env: { HOME: Deno.env.get("HOME") ?? "/root", PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1" },
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const json = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.ok(Array.isArray(json));
  assert.ok(json.some((c: { name: string }) => c.name === "done"));
});
