/**
 * A chat account re-linked to another user, seen by two gateway instances on one database:
 * instance A is a separate process (the real entry point), instance B runs in this process with
 * its clock driven, so its identity cache (30 s) can expire while a session it minted for the
 * previous owner would still be reusable (up to 90 s). B must then act as the new owner, in
 * every claim and every row, never as the previous one.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  integration,
  linkCodeFor,
  newUser,
  postUpdate,
  psql,
  randomExternalId,
  sentTexts,
  startGateway,
  telegramMessage,
  tokenFor,
  webClient,
} from "../fixtures.ts";
import { spawnGateway } from "../support/gateway_process.ts";

Deno.test("a re-linked chat account never acts as its previous owner", integration, async (t) => {
  // B's clock runs behind, then jumps 31 s: tokens it mints never carry an `iat` in the future.
  let offset = -60_000;
  const b = await startGateway({ now: () => Date.now() + offset });
  // A shares B's sinks (same TELEGRAM_API_ROOT), so sentTexts sees both instances' replies.
  const a = await spawnGateway(b.env);
  try {
    for (const unlinkVia of ["the web app", "/unlink"] as const) {
      await t.step(`unlinked through ${unlinkVia}, re-linked on the other instance`, async () => {
        offset = -60_000;
        const [alice, bob] = [await newUser(), await newUser()];
        const [aliceToken, bobToken] = [await tokenFor(alice), await tokenFor(bob)];
        const tg = randomExternalId();
        const say = async (gw: typeof a | typeof b, text: string) => {
          const before = sentTexts(b, tg).length;
          // Either instance's update is Telegram's for B's sink, which both write to.
          const update = telegramMessage({ fromId: tg, text });
          assertEquals((await postUpdate({ ...gw, telegram: b.telegram }, update)).status, 200);
          return sentTexts(b, tg).slice(before).join("\n");
        };
        await webClient(bobToken).from("tasks").insert({ title: "bob private row" });
        assertMatch(await say(a, `/link ${await linkCodeFor(bobToken)}`), /Linked!/);
        // B serves X as bob once: its identity and minted-session caches now hold bob.
        assertMatch(await say(b, "/tasks"), /bob private row/);

        if (unlinkVia === "the web app") {
          const { error } = await webClient(bobToken).from("chat_identities").delete()
            .eq("external_id", tg);
          assertEquals(error, null);
        } else {
          assertMatch(await say(a, "/unlink"), /^Unlinked/);
        }
        assertMatch(await say(a, `/link ${await linkCodeFor(aliceToken)}`), /Linked!/);

        offset += 31_000; // B's identity cache has expired; bob's session would still be reused
        const who = await say(b, "/whoami");
        assertMatch(who, new RegExp(`You are ${alice.email}`));
        const list = await say(b, "/tasks");
        assert(!list.includes("bob private row"), `B listed bob's rows as alice: ${list}`);
        assertMatch(await say(b, "/add written after the re-link"), /^Added #\d+/);
        const owners = await psql(
          `select user_id from public.tasks where title = 'written after the re-link' and
           user_id in ('${alice.id}', '${bob.id}')`,
        );
        assertEquals(owners.trim(), alice.id, "the row belongs to alice");
      });
    }
  } finally {
    await a.stop();
    await b.close();
  }
});
