/**
 * What end users read, on the channel they read it on: hints name the app and where to make a
 * link code (GATEWAY_APP_NAME, GATEWAY_LINK_URL), never an RPC; /help and hints use the channel's
 * syntax; argument errors are sentences with an example; long lists say what they left out;
 * /unlink when not linked and a wrong link code say what is going on.
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
} from "../fixtures.ts";
import {
  contentOf,
  discordEnv,
  discordKeys,
  interact,
  linkDiscord,
  slash,
} from "../discord_fixtures.ts";
import { PAGE_SIZE } from "../../supabase/functions/gateway/commands/tasks.ts";

const APP = {
  GATEWAY_APP_NAME: "Acme Tasks",
  GATEWAY_LINK_URL: "https://acme.example/settings/chat",
};

Deno.test("what end users read, per channel", integration, async (t) => {
  const keys = await discordKeys();
  const gw = await startGateway({ env: { ...discordEnv(keys), ...APP } });
  const tg = randomExternalId();
  const dc = { userId: randomExternalId() };
  const say = async (text: string) => {
    await postUpdate(gw, telegramMessage({ fromId: tg, text }));
    return sentTexts(gw, tg).at(-1)!;
  };
  // Discord content as a person reads it (markdown escapes are hidden by the client).
  const plain = (text: string) => text.replace(/\\([^\w\s])/g, "$1");
  const ask = async (name: string, args: Record<string, string | number> = {}) =>
    plain(contentOf(await interact(gw, keys, slash(dc, name, args))));
  try {
    await t.step("unlinked: the app's name and link page, the channel's syntax", async () => {
      const tgHint = await say("/tasks");
      assertEquals(
        tgHint,
        "This Telegram account is not linked yet. To link it: sign in to Acme Tasks " +
          "(https://acme.example/settings/chat), create a link code there, then send " +
          "/link <code> here.",
      );
      const dcHint = await ask("tasks");
      assertMatch(
        dcHint,
        /Discord account is not linked yet\..*Acme Tasks.*\/link code:<code> here/,
      );
      for (const text of [tgHint, dcHint]) assert(!text.includes("create_link_code"), text);
    });

    await t.step("/unlink when not linked says there is nothing to unlink", async () => {
      assertEquals(
        await say("/unlink"),
        "This Telegram account is not linked, so there is nothing to unlink.",
      );
      assertMatch(
        await ask("unlink"),
        /Discord account is not linked, so there is nothing to unlink/,
      );
    });

    await t.step("a wrong code says how many tries are left", async () => {
      assertMatch(
        await say("/link WRONGCODE1"),
        /not valid.*Acme Tasks.*4 tries left before linking is locked/,
      );
      assertMatch(await say("/link WRONGCODE2"), /3 tries left/);
      assertMatch(await ask("link", { code: "WRONGCODE3" }), /4 tries left/);
    });

    const user = await newUser();
    const token = await tokenFor(user);
    await t.step("linking: the next step in the channel's syntax", async () => {
      assertMatch(
        await linkTelegram(gw, tg, await linkCodeFor(token)),
        /Try \/tasks \[page\] or \/add <title>\./,
      );
      assertMatch(
        plain(await linkDiscord(gw, keys, dc, await linkCodeFor(token))),
        /Try \/tasks \[page:<page>\] or \/add title:<title>\./,
      );
    });

    await t.step("/help in the channel's syntax", async () => {
      const tgHelp = await say("/help");
      assert(tgHelp.includes("/add <title> - Add a task"), tgHelp);
      const dcHelp = await ask("help");
      assert(dcHelp.includes("/add title:<title> - Add a task"), dcHelp);
      assert(dcHelp.includes("/link code:<code>"), dcHelp);
      assert(!/\/add <title>/.test(dcHelp), "Telegram syntax on Discord");
    });

    await t.step("argument errors are sentences with an example", async () => {
      assertEquals(await say("/done abc"), "The task number must be a whole number, e.g. /done 3");
      assertEquals(await say("/done 0"), "The task number must be more than 0, e.g. /done 3");
      assertEquals(
        await ask("done", { id: "abc" }),
        "The task number must be a whole number, e.g. /done id:3",
      );
      const http = await runCommand(gw, token, "done", { id: "abc" });
      assertEquals(http.status, 400);
      assertEquals(
        (http.body.error as { message: string }).message,
        'The task number must be a whole number, e.g. POST /commands/done {"id":3}',
      );
    });

    await t.step("a long list says what it left out and how to see it", async () => {
      const values = Array.from({ length: 40 }, (_, i) => `('${user.id}', 'task ${i}')`).join(",");
      await psql(`insert into public.tasks (user_id, title) values ${values}`);
      const first = await say("/tasks");
      assertEquals(first.split("\n").length, PAGE_SIZE + 1);
      assertMatch(first, new RegExp(`… and ${40 - PAGE_SIZE} more: /tasks 2$`));
      const dcFirst = await ask("tasks");
      assertMatch(dcFirst, new RegExp(`… and ${40 - PAGE_SIZE} more: /tasks page:2$`));
      const last = await say(`/tasks 3`);
      assertEquals(last.split("\n").length, 40 - 2 * PAGE_SIZE, "the last page, nothing left");
      assertMatch(await say("/tasks 9"), /There is no page 9: you have 40 tasks\./);
    });
  } finally {
    await gw.close();
  }
});
