/**
 * TEMPLATE — the test of the `note` and `notes` commands. Copy it to
 * `tests/integration/notes_test.ts`; `./deno task test` runs it on the real local stack (your
 * migrations, PostgREST, RLS) with Telegram and Discord played by local sinks.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  integration,
  linkCodeFor,
  linkTelegram,
  newUser,
  postUpdate,
  psql,
  randomExternalId,
  runCommand,
  sentTexts,
  startGateway,
  telegramMessage,
  tokenFor,
  webClient,
} from "../fixtures.ts";
import {
  contentOf,
  discordEnv,
  discordKeys,
  interact,
  linkDiscord,
  slash,
} from "../discord_fixtures.ts";

Deno.test("notes on every channel, each user's own", integration, async (t) => {
  const keys = await discordKeys();
  const gw = await startGateway({ env: discordEnv(keys) });
  const [alice, bob] = [await newUser(), await newUser()];
  const [aliceToken, bobToken] = [await tokenFor(alice), await tokenFor(bob)];
  const count = async (userId: string) =>
    Number(await psql(`select count(*) from public.notes where user_id = '${userId}'`));
  try {
    await t.step("HTTPS: saved once per Idempotency-Key, listed only for its owner", async () => {
      const key = { "idempotency-key": crypto.randomUUID() };
      const saved = await runCommand(gw, aliceToken, "note", { text: "over https" }, key);
      assertEquals(saved.status, 200);
      assertEquals(
        (await runCommand(gw, aliceToken, "note", { text: "over https" }, key)).status,
        200,
      );
      assertEquals(await count(alice.id), 1);
      const bobs = await runCommand(gw, bobToken, "notes");
      assertEquals(bobs.body.data, []);
    });

    await t.step("ids are the database's: none chosen on insert, none changed", async () => {
      // A user who could take the next ids would make everyone's next inserts fail.
      const web = webClient(aliceToken);
      const next = Number(await psql("select last_value from public.notes_id_seq")) + 1;
      const chosen = await web.from("notes").insert({ id: next, body: "squat" });
      assertEquals(chosen.error?.code, "428C9"); // cannot insert a non-DEFAULT value into "id"
      const own = await web.from("notes").select("id").limit(1).single();
      const changed = await web.from("notes").update({ id: next + 100 }).eq("id", own.data!.id);
      assertEquals(changed.error?.code, "428C9"); // "id" can only be updated to DEFAULT
      assertEquals(await count(alice.id), 1);
    });

    await t.step(
      "Telegram: a linked account saves and lists; a redelivery saves nothing",
      async () => {
        const tg = randomExternalId();
        assertMatch(await linkTelegram(gw, tg, await linkCodeFor(aliceToken)), /Linked/);
        const update = telegramMessage({ fromId: tg, text: "/note from telegram" });
        assertEquals((await postUpdate(gw, update)).status, 200);
        assertMatch(sentTexts(gw, tg).at(-1)!, /^Saved note #\d+\.$/);
        await gw.handler.core.drain();
        await postUpdate(gw, update);
        assertEquals(await count(alice.id), 2);
        await postUpdate(gw, telegramMessage({ fromId: tg, text: "/notes" }));
        assertMatch(sentTexts(gw, tg).at(-1)!, /from telegram[\s\S]*over https/);
        await postUpdate(gw, telegramMessage({ fromId: tg, text: "/note" }));
        assertEquals(
          sentTexts(gw, tg).at(-1)!,
          "The note text is missing, e.g. /note Call the plumber",
        );
      },
    );

    await t.step("Discord: the same commands as slash commands", async () => {
      const caller = { userId: randomExternalId() };
      assertMatch(await linkDiscord(gw, keys, caller, await linkCodeFor(bobToken)), /Linked/);
      const saved = await interact(gw, keys, slash(caller, "note", { text: "from discord" }));
      assertMatch(contentOf(saved), /^Saved note #\d+\.$/);
      const listed = contentOf(await interact(gw, keys, slash(caller, "notes")));
      assert(listed.includes("from discord") && !listed.includes("telegram"), listed);
      assertEquals(await count(bob.id), 1);
    });
  } finally {
    await gw.close();
  }
});
