/**
 * Bad input on every channel gets a clear refusal and changes nothing: text that is not
 * well-formed Unicode (a lone UTF-16 surrogate, as a web client's `.slice()` leaves when it cuts
 * an emoji; sent as the `\ud83d` JSON escape, exactly as JSON.stringify writes it), a NUL byte,
 * and Telegram messages of shapes the gateway does not answer. Never a 5xx, never a database
 * detail in a response. (`deno task fuzz` runs thousands of such inputs; this is the suite's cut.)
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  integration,
  linkCodeFor,
  linkTelegram,
  newUser,
  postUpdate,
  randomExternalId,
  runCommand,
  sentTexts,
  startGateway,
  taskCount,
  telegramMessage,
  tokenFor,
} from "../fixtures.ts";
import {
  contentOf,
  discordEnv,
  discordKeys,
  interact,
  linkDiscord,
  slash,
} from "../discord_fixtures.ts";

const BROKEN = ["cut emoji \ud83d", "\udc00 trailing half", "nul \u0000 byte"];

Deno.test(
  "ill-formed text is refused on every channel, nothing written",
  integration,
  async (t) => {
    const keys = await discordKeys();
    const gw = await startGateway({ env: discordEnv(keys) });
    const user = await newUser();
    const token = await tokenFor(user);
    const tg = randomExternalId();
    const dc = { userId: randomExternalId() };
    try {
      assertMatch(await linkTelegram(gw, tg, await linkCodeFor(token)), /Linked/);
      assertMatch(await linkDiscord(gw, keys, dc, await linkCodeFor(token)), /Linked/);

      await t.step("HTTPS: 400 invalid_args, no database detail", async () => {
        for (const title of BROKEN) {
          const res = await runCommand(gw, token, "add", JSON.stringify({ title }));
          assertEquals(res.status, 400, title);
          const error = res.body.error as Record<string, unknown>;
          assertEquals(error.code, "invalid_args");
          assert(!JSON.stringify(res.body).includes("PGRST"), JSON.stringify(res.body));
        }
        const keyed = await runCommand(gw, token, "add", { title: "\ud83d" }, {
          "idempotency-key": "broken-1",
        });
        assertEquals(keyed.status, 400);
      });

      await t.step("Telegram: 200, the user is told, nothing written", async () => {
        for (const title of BROKEN) {
          const res = await postUpdate(gw, telegramMessage({ fromId: tg, text: `/add ${title}` }));
          assertEquals(res.status, 200, title);
          assertMatch(
            sentTexts(gw, tg).at(-1)!,
            /The task title has a broken character .*, e\.g\. \/add Buy milk$/,
          );
        }
      });

      await t.step("Discord: a private refusal", async () => {
        for (const title of BROKEN) {
          const res = await interact(gw, keys, slash(dc, "add", { title }));
          assertEquals(res.type, 4);
          assertMatch(contentOf(res), /broken character/);
          assertEquals(res.data!.flags, 64);
        }
      });
      assertEquals(await taskCount(user.id), 0);

      await t.step("Telegram shapes it does not answer: 200 and silence", async () => {
        const sent = gw.telegram.calls("sendMessage").length;
        const base = telegramMessage({ fromId: tg, text: "/add shape" }) as {
          update_id: number;
          message: Record<string, unknown>;
        };
        const variants: Record<string, unknown>[] = [
          { chat: undefined },
          { chat: null },
          { chat: { type: "private" } },
          { text: 42 },
          { text: { nested: "/add x" } },
          { text: null },
          { from: null },
          { from: { id: "7", is_bot: false } },
          { message_id: "1" },
        ];
        for (const change of variants) {
          const message = { ...base.message, ...change };
          const res = await postUpdate(gw, { update_id: base.update_id + 1, message });
          base.update_id += 1;
          assertEquals(res.status, 200, JSON.stringify(change));
        }
        for (const update of [{ update_id: 1, message: null }, { update_id: 2, message: "x" }]) {
          assertEquals((await postUpdate(gw, update)).status, 200);
        }
        assertEquals(gw.telegram.calls("sendMessage").length, sent, "nothing was answered");
        assertEquals(await taskCount(user.id), 0);
      });
    } finally {
      await gw.close();
    }
  },
);
