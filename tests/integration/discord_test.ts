/**
 * Integration tests of the Discord channel against the local stack: signature checks (401 with
 * no database call), PING, linking, slash commands acting on the linked user's rows only (guild
 * and DM), autocomplete limited by RLS, replayed duplicates, and interaction types we refuse.
 * Run with `deno task test` (it starts the stack).
 */
import assert from "node:assert/strict";
import {
  contentOf,
  discordEnv,
  discordKeys,
  interact,
  interaction,
  postInteraction,
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

Deno.test({
  name: "discord interactions",
  ...integration,
  async fn(t) {
    const keys = await discordKeys();
    const gw = await startGateway({ env: discordEnv(keys) });
    const alice = await newUser();
    const bob = await newUser();
    const aliceGuild = { userId: randomExternalId(), guildId: "800000000000000001" };
    const aliceDm = { userId: aliceGuild.userId };
    const bobDm = { userId: randomExternalId() };
    const tokens: string[] = [];
    const send = (body: Record<string, unknown>) => {
      tokens.push(String(body.token));
      return interact(gw, keys, body);
    };
    try {
      await t.step("PING answers PONG without touching the database", async () => {
        const before = gw.dbCalls();
        assert.deepEqual(await send(interaction(1, aliceDm)), { type: 1 });
        assert.equal(gw.dbCalls(), before);
      });

      await t.step("a request not signed by Discord is 401, before any database call", async () => {
        const other = await discordKeys();
        const body = slash(aliceGuild, "add", { title: "forged" });
        const old = Math.floor(Date.now() / 1000) - 301;
        const cases = {
          "invalid signature": { signature: "ab".repeat(64) },
          "another key": { signWith: other.privateKey },
          "no signature": { omit: "signature" as const },
          "no timestamp": { omit: "timestamp" as const },
          "stale timestamp": { timestamp: old },
          "future timestamp": { timestamp: old + 700 },
          "body changed after signing": {
            sendBody: JSON.stringify({ ...body, data: { name: "tasks" } }),
          },
        };
        const before = gw.dbCalls();
        for (const [name, options] of Object.entries(cases)) {
          const res = await postInteraction(gw, keys, body, options);
          assert.equal(res.status, 401, name);
          const json = await res.json();
          assert.equal(json.error.code, "invalid_token", name);
        }
        assert.equal(gw.dbCalls(), before, "no database call");
      });

      await t.step("an unlinked caller is told how to link and gets no suggestions", async () => {
        const reply = await send(slash(bobDm, "tasks"));
        assert.equal(reply.type, 4);
        assert.match(contentOf(reply), /not linked yet.*\/link code:/s);
        assert.equal(reply.data!.flags, 64);
        assert.deepEqual(reply.data!.allowed_mentions, { parse: [] });
        const suggest = await send(
          interaction(4, bobDm, "done", [{ name: "id", type: 4, value: "", focused: true }]),
        );
        assert.deepEqual(suggest, { type: 8, data: { choices: [] } });
      });

      await t.step("/link code: links the Discord account (guild and DM)", async () => {
        const aliceCode = await linkCodeFor(await tokenFor(alice));
        assert.match(
          contentOf(await send(slash(aliceGuild, "link", { code: aliceCode }))),
          /Linked!/,
        );
        const bobCode = await linkCodeFor(await tokenFor(bob));
        assert.match(contentOf(await send(slash(bobDm, "link", { code: bobCode }))), /Linked!/);
        const again = await send(slash(aliceDm, "link", { code: aliceCode }));
        assert.match(contentOf(again), /already used|already linked/);
      });

      const ids: Record<string, number> = {};
      await t.step("/add, /tasks, /done act on the linked user's rows only", async () => {
        const added = await send(slash(aliceGuild, "add", { title: "Buy *milk* <@1>" }));
        assert.equal(added.type, 4);
        assert.equal(added.data!.flags, 64, "private by default");
        const m = /^Added #(\d+): Buy \\\*milk\\\* \\<@1>$/.exec(contentOf(added));
        assert.ok(m, contentOf(added));
        ids.alice = Number(m[1]);
        const bobAdded = await send(slash(bobDm, "add", { title: "Bob secret plan" }));
        ids.bob = Number(/#(\d+)/.exec(contentOf(bobAdded))![1]);
        assert.equal(await taskCount(alice.id), 1);
        assert.equal(await taskCount(bob.id), 1);

        const aliceList = contentOf(await send(slash(aliceDm, "tasks")));
        assert.match(aliceList, new RegExp(`#${ids.alice} Buy`));
        assert.ok(!aliceList.includes("Bob secret"), "bob's rows never appear");
        const bobList = contentOf(await send(slash(bobDm, "tasks")));
        assert.ok(!bobList.includes("milk"), "alice's rows never appear");

        const steal = await send(slash(bobDm, "done", { id: ids.alice }));
        assert.equal(contentOf(steal), `You have no task #${ids.alice}.`);
        const done = await send(slash(aliceGuild, "done", { id: ids.alice }));
        assert.match(contentOf(done), new RegExp(`^Done: #${ids.alice} `));
        const bad = await send(slash(aliceGuild, "done", { id: "x" }));
        assert.match(
          contentOf(bad),
          /^The task number must be a whole number, e\.g\. \/done id:3$/,
        );
      });

      await t.step("autocomplete suggests the caller's own open tasks only", async () => {
        await send(slash(aliceGuild, "add", { title: "Alice open one" }));
        const focused = [{ name: "id", type: 4, value: "", focused: true }];
        const forAlice = await send(interaction(4, aliceGuild, "done", focused));
        const aliceNames = (forAlice.data!.choices as { name: string }[]).map((c) => c.name);
        assert.ok(aliceNames.some((n) => n.includes("Alice open one")), aliceNames.join());
        assert.ok(!aliceNames.some((n) => n.includes("Bob")), "no other user's rows");
        const forBob = await send(interaction(4, bobDm, "done", focused));
        assert.deepEqual(forBob.data!.choices, [{
          name: `#${ids.bob} Bob secret plan`,
          value: ids.bob,
        }]);
        const typed = [{ name: "id", type: 4, value: "secret", focused: true }];
        const filtered = await send(interaction(4, aliceGuild, "done", typed));
        assert.deepEqual(filtered.data!.choices, []);
      });

      await t.step("the same interaction delivered twice: one effect, same response", async () => {
        const body = slash(aliceDm, "add", { title: "Only once" });
        const before = await taskCount(alice.id);
        const first = await send(body);
        // Right after, the ledger's completion may not have landed yet: then the repeat is told
        // the command is being handled; either way it has no effect.
        const early = contentOf(await send(body));
        assert.ok(early === contentOf(first) || /already being handled/.test(early), early);
        await gw.handler.core.drain();
        const second = await send(body);
        assert.deepEqual(second, first);
        assert.equal(await taskCount(alice.id), before + 1);
        assert.ok(gw.logs.some((l) => JSON.parse(l).replayed === true));
      });

      await t.step("other interaction types are a 400 JSON error", async () => {
        for (const type of [5, 42]) {
          const res = await postInteraction(gw, keys, interaction(type, aliceDm, "tasks"));
          assert.equal(res.status, 400);
          assert.equal((await res.json()).error.code, "invalid_args");
        }
        // A button press without a valid custom_id runs nothing and says so, privately.
        const press = await postInteraction(gw, keys, interaction(3, aliceDm, "tasks"));
        assert.equal(press.status, 200);
        const answer = await press.json();
        assert.equal(answer.type, 4);
        assert.match(String(answer.data.content), /not valid/);
        assert.equal(answer.data.flags, 64);
        const big = { ...interaction(2, aliceDm, "tasks"), pad: "x".repeat(70_000) };
        assert.equal((await postInteraction(gw, keys, big)).status, 413);
      });

      await t.step("/unlink stops the account acting for the user", async () => {
        assert.match(contentOf(await send(slash(aliceGuild, "unlink"))), /^Unlinked\./);
        assert.match(contentOf(await send(slash(aliceDm, "tasks"))), /not linked yet/);
      });

      await t.step("interaction tokens never reach the log", () => {
        const all = gw.logs.join("\n");
        for (const token of tokens) assert.ok(!all.includes(token));
      });
    } finally {
      await gw.close();
    }
  },
});
