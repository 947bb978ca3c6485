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
  DISCORD_APP_ID,
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

/** A Telegram bot entry for TELEGRAM_BOTS, offering `commands`. */
function telegramBot(name: string, id: number, username: string, commands: string[]) {
  return {
    name,
    token: `${id}:${name.toUpperCase()}_${"t".repeat(30)}`,
    secret: `${name}_secret_${"s".repeat(24)}`,
    username,
    commands,
  };
}

Deno.test("hints fit what the bots offer", integration, async (t) => {
  const keys = await discordKeys();
  const readOnly = telegramBot("ro", 7100000101, "ReadOnlyBot", ["help", "tasks"]);
  const startOnly = telegramBot("st", 7100000102, "StartOnlyBot", ["start", "help", "tasks"]);
  const linkOnly = telegramBot("lk", 7100000103, "LinkOnlyBot", ["link", "help"]);
  const off = { SLACK_SIGNING_SECRET: "", SLACK_BOT_TOKEN: "", SLACK_APPS: "" };
  const gw = await startGateway({
    env: {
      ...APP,
      ...off,
      TELEGRAM_BOTS: JSON.stringify([readOnly, startOnly, linkOnly]),
      // The only Discord application lists no /link.
      DISCORD_PUBLIC_KEY: "",
      DISCORD_APPLICATION_ID: "",
      DISCORD_BOT_TOKEN: "",
      DISCORD_APPS: JSON.stringify([{
        name: "default",
        applicationId: DISCORD_APP_ID,
        publicKey: keys.publicKeyHex,
        commands: ["help", "tasks"],
      }]),
    },
  });
  const tg = randomExternalId();
  const on = async (bot: { name: string; token: string; secret: string }, text: string) => {
    const update = telegramMessage({ fromId: tg, text });
    gw.telegram.noteUpdate(bot.token, update);
    const res = await gw.request(`/telegram/${bot.name}`, {
      method: "POST",
      headers: {
        "x-telegram-bot-api-secret-token": bot.secret,
        "content-type": "application/json",
      },
      body: JSON.stringify(update),
    });
    assertEquals(res.status, 200);
    await res.body?.cancel();
    return sentTexts(gw, tg).at(-1)!;
  };
  const defaultBot = `@${gw.env.TELEGRAM_BOT_USERNAME}`;
  try {
    await t.step("a bot without /link names the bots that link, not its own /link", async () => {
      assertEquals(
        await on(readOnly, "/tasks"),
        "This Telegram account is not linked yet. This bot does not link accounts: sign in to " +
          "Acme Tasks (https://acme.example/settings/chat), create a link code there, then send " +
          `/link <code> to ${defaultBot} or /start <code> to @StartOnlyBot or ` +
          "/link <code> to @LinkOnlyBot.",
      );
    });
    await t.step("a bot that links with /start only says /start", async () => {
      assertMatch(await on(startOnly, "/tasks"), /then send \/start <code> here\.$/);
    });
    await t.step("a bot without /unlink says where to unlink", async () => {
      assertMatch(
        await linkTelegram(gw, tg, await linkCodeFor(await tokenFor(await newUser()))),
        /Linked/,
      );
      const other = await linkCodeFor(await tokenFor(await newUser()));
      assertEquals(
        await on(linkOnly, `/link ${other}`),
        "This account is already linked to another user. Unlink it in Acme Tasks " +
          "(https://acme.example/settings/chat) first.",
      );
    });
    await t.step("no Discord application links: the Discord bot says so", async () => {
      assertEquals(
        contentOf(await interact(gw, keys, slash({ userId: randomExternalId() }, "tasks"))),
        "This Discord account is not linked yet. This bot does not link accounts, and no other " +
          "Discord bot of Acme Tasks does.",
      );
    });
    await t.step("link-code lists only the bots and channels that link", async () => {
      const { status, body } = await runCommand(gw, await tokenFor(await newUser()), "link-code");
      assertEquals(status, 200);
      const { code, links, send } = body.data as {
        code: string;
        links: { telegram: unknown };
        send: unknown;
      };
      assertEquals(links.telegram, {
        default: `https://t.me/${gw.env.TELEGRAM_BOT_USERNAME}?start=${code}`,
        st: `https://t.me/StartOnlyBot?start=${code}`,
      });
      assertEquals(send, { telegram: [`/link ${code}`] });
      assertEquals(String(body.text).split("\n"), [
        `Your link code: ${code} (valid for 10 minutes, once).`,
        `Telegram (${defaultBot}): open https://t.me/${gw.env.TELEGRAM_BOT_USERNAME}?start=${code}, ` +
        `or send /link ${code}.`,
        `Telegram (@StartOnlyBot): open https://t.me/StartOnlyBot?start=${code}.`,
        `Telegram (@LinkOnlyBot): send /link ${code}.`,
      ]);
    });
  } finally {
    await gw.close();
  }
  await t.step("no bot links at all: link-code says so", async () => {
    const none = await startGateway({
      env: {
        ...off,
        TELEGRAM_BOT_TOKEN: "",
        TELEGRAM_WEBHOOK_SECRET: "",
        TELEGRAM_BOT_USERNAME: "",
        TELEGRAM_BOTS: JSON.stringify([readOnly]),
        DISCORD_PUBLIC_KEY: "",
        DISCORD_APPLICATION_ID: "",
        DISCORD_BOT_TOKEN: "",
        DISCORD_APPS: "",
      },
    });
    try {
      const { body } = await runCommand(none, await tokenFor(await newUser()), "link-code");
      const code = (body.data as { code: string }).code;
      assertEquals(String(body.text).split("\n"), [
        `Your link code: ${code} (valid for 10 minutes, once).`,
        "No chat bot of this app links accounts yet.",
      ]);
      assertEquals((body.data as { send: unknown }).send, {});
    } finally {
      await none.close();
    }
  });
});
