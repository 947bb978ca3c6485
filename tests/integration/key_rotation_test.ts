/**
 * A service-key rotation keeps the buttons already sent: Telegram buttons from a gateway on the
 * old key are pressed on one with both keys (the new one current, as `SUPABASE_SECRET_KEYS`
 * holds them during a rotation), then on one that has only the new key. Real stack; the new key
 * is another service-role key PostgREST accepts.
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { signApiKey } from "../../dev/keys.ts";
import { INVALID_ACTION_TEXT } from "../../supabase/functions/_shared/actions.ts";
import {
  integration,
  linkCodeFor,
  linkTelegram,
  newUser,
  nextUpdateId,
  postUpdate,
  psql,
  randomExternalId,
  stackSetting,
  startGateway,
  telegramMessage,
  type TestGateway,
  tokenFor,
} from "../fixtures.ts";

type Button = { text: string; callback_data: string };

/** The buttons under the last list the bot sent to `chat`. */
function lastButtons(gw: TestGateway, chat: number): Button[] {
  const call = gw.telegram.calls("sendMessage").filter((c) => c.params.chat_id === chat).at(-1)!;
  return (call.params.reply_markup as { inline_keyboard: Button[][] }).inline_keyboard.flat();
}

/** Presses `button` in a private chat; returns what the presser was told, if anything. */
async function press(gw: TestGateway, chat: number, button: Button): Promise<string | undefined> {
  const queryId = `${chat}${nextUpdateId()}`;
  const res = await postUpdate(gw, {
    update_id: nextUpdateId(),
    callback_query: {
      id: queryId,
      from: { id: chat, is_bot: false, first_name: "Presser" },
      chat_instance: "-1",
      message: {
        message_id: 1,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chat, type: "private", first_name: "Presser" },
        from: { id: 7000000001, is_bot: true, first_name: "Bot" },
        text: "…",
      },
      data: button.callback_data,
    },
  });
  assertEquals(res.status, 200);
  const answer = gw.telegram.calls("answerCallbackQuery")
    .find((c) => c.params.callback_query_id === queryId);
  return answer?.params.text as string | undefined;
}

const isDone = async (id: string) =>
  (await psql(`select done from tasks where id = ${id}`)) === "t";

Deno.test(
  "buttons survive a service-key rotation, until the old key is gone",
  integration,
  async (t) => {
    const oldKey = stackSetting("SUPABASE_SERVICE_ROLE_KEY");
    const newKey = await signApiKey(
      "service_role",
      stackSetting("GATEWAY_JWT_SECRET"),
      Math.floor(Date.now() / 1000) - 3600, // another key than the stack's
    );
    const before = await startGateway();
    const during = await startGateway({
      env: { SUPABASE_SECRET_KEYS: JSON.stringify({ default: newKey, old: oldKey }) },
    });
    const after = await startGateway({
      env: {
        SUPABASE_SECRET_KEYS: JSON.stringify({ default: newKey }),
        SUPABASE_SERVICE_ROLE_KEY: "",
      },
    });
    const user = await newUser();
    const tg = Number(randomExternalId());
    try {
      assertMatch(
        await linkTelegram(before, String(tg), await linkCodeFor(await tokenFor(user))),
        /Linked/,
      );
      const ids = (await psql(
        `insert into tasks (user_id, title) select '${user.id}', 'task ' || n
       from generate_series(1, 3) n returning id`,
      )).split("\n").filter(Boolean);
      await postUpdate(before, telegramMessage({ fromId: String(tg), text: "/tasks" }));
      const sent = new Map(lastButtons(before, tg).map((b) => [b.text, b]));

      await t.step("both keys configured: a button the old key signed runs", async () => {
        assertEquals(await press(during, tg, sent.get(`Done #${ids[0]}`)!), undefined);
        assertEquals(await isDone(ids[0]), true);
      });

      await t.step("new buttons are signed with the new key", async () => {
        await postUpdate(during, telegramMessage({ fromId: String(tg), text: "/tasks" }));
        const fresh = lastButtons(during, tg).find((b) => b.text === `Done #${ids[1]}`)!;
        assertEquals(await press(before, tg, fresh), INVALID_ACTION_TEXT, "unknown to the old key");
        assertEquals(await press(after, tg, fresh), undefined);
        assertEquals(await isDone(ids[1]), true);
      });

      await t.step("the old key removed: its buttons run nothing and say so", async () => {
        assertEquals(await press(after, tg, sent.get(`Done #${ids[2]}`)!), INVALID_ACTION_TEXT);
        assertEquals(await isDone(ids[2]), false);
      });
    } finally {
      await Promise.all([before.close(), during.close(), after.close()]);
    }
  },
);
