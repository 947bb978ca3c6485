/**
 * Many bots on one gateway, on the real stack with real secrets and signatures: two Telegram bots
 * and two Discord applications each answer on their own route, with their own token and words;
 * one bot's secret or signature on another's route is refused before anything runs; a bot offers
 * only its commands, typed or pressed, and shows only their buttons; the same update_id on two bots is two deliveries with one effect each, and a
 * redelivery to a second gateway instance still runs once.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { unescapeHtml } from "../../adapters/telegram/format.ts";
import {
  integration,
  linkCodeFor,
  newUser,
  nextUpdateId,
  psql,
  randomExternalId,
  startGateway,
  telegramMessage,
  type TestGateway,
  tokenFor,
} from "../fixtures.ts";
import {
  type DiscordKeys,
  discordKeys,
  interaction,
  signedRequest,
  slash,
} from "../discord_fixtures.ts";
import { answers, lastSent, pressUpdate } from "../telegram_fixtures.ts";

const PROD = {
  TELEGRAM_BOT_TOKEN: "7100000001:PROD_" + "p".repeat(30),
  TELEGRAM_WEBHOOK_SECRET: "prod_secret_" + "p".repeat(24),
  TELEGRAM_BOT_USERNAME: "AcmeBot",
};
const STAGING = {
  name: "staging",
  token: "7100000002:STAGE_" + "s".repeat(30),
  secret: "staging_secret_" + "s".repeat(24),
  username: "AcmeStagingBot",
  appName: "Acme Staging",
  linkUrl: "https://staging.acme.test/link",
  // No /done or /undo on staging: they are unknown there.
  commands: ["start", "help", "link", "unlink", "whoami", "tasks", "add"],
};
const APP_IDS = { default: "100000000000000081", beta: "100000000000000082" };

Deno.test("many bots on one gateway", integration, async (t) => {
  const [prodKeys, betaKeys] = [await discordKeys(), await discordKeys()];
  const env = {
    ...PROD,
    TELEGRAM_BOTS: JSON.stringify([STAGING]),
    DISCORD_PUBLIC_KEY: prodKeys.publicKeyHex,
    DISCORD_APPLICATION_ID: APP_IDS.default,
    DISCORD_APPS: JSON.stringify([{
      name: "beta",
      applicationId: APP_IDS.beta,
      publicKey: betaKeys.publicKeyHex,
      appName: "Acme Beta",
      commands: ["help", "link", "tasks"],
    }]),
  };
  const gw = await startGateway({ env });
  const gw2 = await startGateway({ env });
  const alice = await newUser();
  const aliceToken = await tokenFor(alice);
  const tg = randomExternalId();
  const dc = DC_USER;
  try {
    await t.step(
      "each Telegram bot answers on its own route, with its own token and words",
      async () => {
        const res = await telegram(gw, "", PROD.TELEGRAM_WEBHOOK_SECRET, `/tasks`, tg);
        assertEquals(res.status, 200);
        const res2 = await telegram(gw, "/staging", STAGING.secret, `/tasks`, tg);
        assertEquals(res2.status, 200);
        const [prod, staging] = gw.telegram.calls("sendMessage");
        assertEquals(prod.token, PROD.TELEGRAM_BOT_TOKEN);
        assertEquals(staging.token, STAGING.token);
        assertMatch(text(prod), /sign in to the web app, create a link code/);
        assertMatch(
          text(staging),
          /sign in to Acme Staging \(https:\/\/staging\.acme\.test\/link\)/,
        );
      },
    );

    await t.step("link-code gives each Telegram bot's deep link, by name", async () => {
      const res = await gw.request("/commands/link-code", {
        method: "POST",
        headers: { authorization: `Bearer ${aliceToken}` },
      });
      const body = await res.json();
      const code = body.data.code;
      assertEquals(body.data.links.telegram, {
        default: `https://t.me/AcmeBot?start=${code}`,
        staging: `https://t.me/AcmeStagingBot?start=${code}`,
      });
      // One identity for every Telegram bot: linked through staging, known to both.
      await telegram(gw, "/staging", STAGING.secret, `/start ${code}`, tg);
      assertMatch(lastText(gw, tg), /Linked!/);
      await telegram(gw, "", PROD.TELEGRAM_WEBHOOK_SECRET, "/whoami", tg);
      assertMatch(lastText(gw, tg), new RegExp(`You are ${alice.email}`));
    });

    await t.step(
      "one bot's secret on another's route: 401, nothing run, no database call",
      async () => {
        const calls = gw.dbCalls();
        const sent = gw.telegram.sent.length;
        for (
          const [route, secret] of [
            ["/staging", PROD.TELEGRAM_WEBHOOK_SECRET],
            ["", STAGING.secret],
          ]
        ) {
          const res = await telegram(gw, route, secret, "/add Should not exist", tg);
          assertEquals(res.status, 401);
          await res.body?.cancel();
        }
        assertEquals(gw.dbCalls(), calls);
        assertEquals(gw.telegram.sent.length, sent);
        assertEquals(await tasksTitled(alice.id, "Should not exist"), 0);
      },
    );

    await t.step("the default bot also answers on /telegram/default and with a slash", async () => {
      for (const route of ["/default", "/default/", "/"]) {
        const res = await telegram(gw, route, PROD.TELEGRAM_WEBHOOK_SECRET, "/help", tg);
        assertEquals(res.status, 200, route);
        await res.body?.cancel();
        assertEquals(gw.telegram.calls("sendMessage").at(-1)!.token, PROD.TELEGRAM_BOT_TOKEN);
      }
    });

    await t.step("a route naming no bot is a 404", async () => {
      const res = await telegram(gw, "/nope", STAGING.secret, "/tasks", tg);
      assertEquals(res.status, 404);
      assertEquals((await res.json()).error.code, "not_found");
      const dres = await gw.handler(
        await discordRequest(
          betaKeys,
          APP_IDS.beta,
          "/discord/gamma",
          slash({ userId: dc }, "help"),
        ),
      );
      assertEquals(dres.status, 404);
      await dres.body?.cancel();
    });

    await t.step("a bot offers only its commands: /help and unknown commands", async () => {
      await telegram(gw, "/staging", STAGING.secret, "/help", tg);
      const help = lastText(gw, tg);
      assertMatch(help, /\/tasks/);
      assert(!help.includes("/done"), help);
      await telegram(gw, "/staging", STAGING.secret, "/done 1", tg);
      assertMatch(lastText(gw, tg), /^Unknown command/);
      await telegram(gw, "", PROD.TELEGRAM_WEBHOOK_SECRET, "/help", tg);
      assertMatch(lastText(gw, tg), /\/done <id>/);
    });

    await t.step("the same update_id on two bots: two deliveries, one effect each", async () => {
      const updateId = nextUpdateId();
      for (
        const [g, route, secret] of [
          [gw, "", PROD.TELEGRAM_WEBHOOK_SECRET],
          [gw, "/staging", STAGING.secret],
          [gw2, "", PROD.TELEGRAM_WEBHOOK_SECRET],
          [gw2, "/staging", STAGING.secret],
        ] as const
      ) {
        const res = await telegram(g, route, secret, `/add Same update ${updateId}`, tg, updateId);
        assertEquals(res.status, 200);
        await res.body?.cancel();
        await g.handler.core.drain();
      }
      // One row per bot, though each update reached two gateway instances.
      assertEquals(await tasksTitled(alice.id, `Same update ${updateId}`), 2);
      const replies = [...gw.telegram.calls("sendMessage"), ...gw2.telegram.calls("sendMessage")]
        .filter((c) => text(c).startsWith(`Added #`) && text(c).endsWith(`${updateId}`));
      assertEquals(
        replies.map((c) => c.token).sort(),
        [PROD.TELEGRAM_BOT_TOKEN, STAGING.token].sort(),
      );
    });

    await t.step("a button made by one bot is not valid on another", async () => {
      const data = stagingButtons(gw).encode({ label: "List", command: "tasks", args: {} });
      const query = await pressTelegram(gw, "", PROD.TELEGRAM_WEBHOOK_SECRET, tg, data);
      const [answer] = answers(gw, query);
      assertEquals(answer.token, PROD.TELEGRAM_BOT_TOKEN);
      assertMatch(String(answer.params.text), /not valid/);
    });

    await t.step("a bot's replies carry only buttons for the commands it offers", async () => {
      await telegram(gw, "", PROD.TELEGRAM_WEBHOOK_SECRET, "/tasks", tg);
      const prod = lastSent(gw, Number(tg));
      assert(prod.buttons.some((b) => b.text.startsWith("Done #")), "default offers /done");
      await telegram(gw, "/staging", STAGING.secret, "/tasks", tg);
      const staging = lastSent(gw, Number(tg));
      assertMatch(unescapeHtml(staging.text), /Same update/);
      assertEquals(staging.buttons, [], "no /done on staging: no Done buttons");
    });

    await t.step("a press runs only what its bot offers, in that bot's words", async () => {
      const id = Number(
        await psql(`select min(id) from public.tasks
                                    where user_id = '${alice.id}' and not done`),
      );
      const done = stagingButtons(gw).encode({
        label: "Done",
        command: "done",
        args: { id },
        then: { command: "tasks", args: {} },
      });
      const query = await pressTelegram(gw, "/staging", STAGING.secret, tg, done);
      const [answer] = answers(gw, query);
      assertEquals(answer.token, STAGING.token);
      assertMatch(String(answer.params.text), /^Unknown command/);
      assertEquals(await psql(`select done from public.tasks where id = ${id}`), "f");
      // Someone not linked is told how to link in the staging bot's words.
      const list = stagingButtons(gw).encode({ label: "List", command: "tasks", args: {} });
      const stranger = await pressTelegram(
        gw,
        "/staging",
        STAGING.secret,
        randomExternalId(),
        list,
      );
      assertMatch(
        String(answers(gw, stranger)[0].params.text),
        /sign in to Acme Staging \(https:\/\/staging\.acme\.test\/link\)/,
      );
    });

    await t.step(
      "each Discord application on its own route, with its own key and commands",
      async () => {
        const code = await linkCodeFor(aliceToken);
        const linked = await discord(gw, betaKeys, APP_IDS.beta, "/discord/beta", "link", { code });
        assertMatch(linked.data.content, /Linked!/);
        const list = await discord(gw, prodKeys, APP_IDS.default, "/discord", "tasks");
        assertMatch(list.data.content, /Same update/);
        assert(list.data.components?.length, "Done buttons where /done is offered");
        const betaList = await discord(gw, betaKeys, APP_IDS.beta, "/discord/beta", "tasks");
        assertMatch(betaList.data.content, /Same update/);
        assertEquals(betaList.data.components, undefined, "none on beta, which has no /done");
        const beta = await discord(gw, betaKeys, APP_IDS.beta, "/discord/beta", "add", {
          title: "x",
        });
        assertMatch(beta.data.content, /^Unknown command/);
        const help = await discord(gw, betaKeys, APP_IDS.beta, "/discord/beta", "help");
        assert(!help.data.content.includes("/whoami"), help.data.content);
      },
    );

    await t.step(
      "the default bots of two platforms: each its own button key; older buttons work on both",
      async () => {
        const call = { label: "List", command: "tasks", args: {} };
        const core = gw.handler.core;
        const tgButton = core.botActions("telegram", "default").encode(call);
        const dcButton = core.botActions("discord", "default").encode(call);
        assertMatch(await pressDiscord(gw, prodKeys, tgButton), /^This button is not valid/);
        const query = await pressTelegram(gw, "", PROD.TELEGRAM_WEBHOOK_SECRET, tg, dcButton);
        assertMatch(String(answers(gw, query)[0].params.text), /not valid/);
        // Sent before key ids, alike for both default bots: still valid on each.
        const legacy = await legacyButton(gw.env.SUPABASE_SERVICE_ROLE_KEY, "tasks:{}");
        assertMatch(await pressDiscord(gw, prodKeys, legacy), /Same update/);
        const pressed = await pressTelegram(gw, "", PROD.TELEGRAM_WEBHOOK_SECRET, tg, legacy);
        assertEquals(answers(gw, pressed)[0].params.text, undefined, "answered, no notice");
        assertMatch(lastText(gw, tg), /Same update/);
        // Not on the others.
        assertMatch(await pressDiscord(gw, betaKeys, legacy, "beta"), /^This button is not valid/);
        await gw.handler.core.drain();
      },
    );

    await t.step(
      "one application's signature on another's route: 401, no database call",
      async () => {
        const calls = gw.dbCalls();
        for (
          const [keys, id, path] of [
            [prodKeys, APP_IDS.default, "/discord/beta"],
            [betaKeys, APP_IDS.beta, "/discord"],
          ] as const
        ) {
          const res = await gw.handler(
            await discordRequest(keys, id, path, slash({ userId: dc }, "tasks")),
          );
          assertEquals(res.status, 401);
          await res.body?.cancel();
        }
        assertEquals(gw.dbCalls(), calls);
      },
    );

    await t.step("logs name the bot", () => {
      const lines = gw.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "request");
      assert(lines.some((l) => l.channel === "telegram" && l.bot === "staging"));
      assert(lines.some((l) => l.channel === "discord" && l.bot === "beta"));
      assert(lines.some((l) => l.channel === "telegram" && l.bot === "default"));
    });
  } finally {
    await gw.close();
    await gw2.close();
  }
});

Deno.test(
  "a caller's rate budget is one per person, whichever bot they use",
  integration,
  async () => {
    const gw = await startGateway({
      env: {
        ...PROD,
        TELEGRAM_BOTS: JSON.stringify([STAGING]),
        GATEWAY_RATE_LIMIT_PER_MINUTE: "4",
      },
    });
    const tg = randomExternalId();
    try {
      const statuses: number[] = [];
      for (
        const [route, secret] of [["", PROD.TELEGRAM_WEBHOOK_SECRET], ["/staging", STAGING.secret]]
      ) {
        for (let i = 0; i < 3; i++) {
          const res = await telegram(gw, route, secret, "/help", tg);
          statuses.push(res.status);
          await res.body?.cancel();
        }
      }
      assertEquals(statuses, [200, 200, 200, 200, 200, 200]);
      const texts = gw.telegram.calls("sendMessage").map(text);
      // A burst of 5 (the limiter's least), then the sixth is refused though it used another bot.
      assertEquals(texts.filter((t) => t.startsWith("Commands:")).length, 5);
      assertMatch(texts[5], /^Too many requests/);
      assertEquals(gw.telegram.calls("sendMessage")[5].token, STAGING.token);
    } finally {
      await gw.close();
    }
  },
);

/** Posts a Telegram message update to `/telegram<route>` with `secret`. */
function telegram(
  gw: TestGateway,
  route: string,
  secret: string,
  message: string,
  fromId: string,
  updateId?: number,
): Promise<Response> {
  const update = telegramMessage({ fromId, text: message, updateId });
  // What Telegram knows from delivering it: this user started the bot (so it may answer them).
  const token = route.startsWith("/staging") ? STAGING.token : PROD.TELEGRAM_BOT_TOKEN;
  gw.telegram.noteUpdate(token, update);
  return gw.request(`/telegram${route}`, {
    method: "POST",
    headers: { "x-telegram-bot-api-secret-token": secret, "content-type": "application/json" },
    body: JSON.stringify(update),
  });
}

/** The staging Telegram bot's button tokens. */
function stagingButtons(gw: TestGateway) {
  return gw.handler.core.botActions("telegram", "staging");
}

/** A button token as signed before key ids (`<calls>~<MAC>` under the "v1" key). */
async function legacyButton(serviceKey: string, calls: string): Promise<string> {
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const hmac = async (key: BufferSource, text: string) =>
    new Uint8Array(
      await crypto.subtle.sign(
        "HMAC",
        await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, [
          "sign",
        ]),
        utf8(text),
      ),
    );
  const tag = await hmac(await hmac(utf8(serviceKey), "gateway actions v1"), calls);
  const mac = btoa(String.fromCharCode(...tag.subarray(0, 12))).replaceAll("+", "-")
    .replaceAll("/", "_");
  return `${calls}~${mac}`;
}

/** The Discord user presses a button carrying `customId` on application `app`; the content. */
async function pressDiscord(
  gw: TestGateway,
  keys: DiscordKeys,
  customId: string,
  app: keyof typeof APP_IDS = "default",
): Promise<string> {
  const body: Record<string, unknown> = {
    ...interaction(3, { userId: DC_USER }),
    data: { custom_id: customId, component_type: 2 },
    message: { id: "1", flags: 64 },
  };
  gw.discord.registerInteraction(APP_IDS[app], String(body.token));
  const path = app === "default" ? "/discord" : `/discord/${app}`;
  const res = await gw.handler(await discordRequest(keys, APP_IDS[app], path, body));
  assertEquals(res.status, 200);
  return String((await res.json()).data?.content);
}

/** `fromId` presses a button carrying `data` in their private chat with the bot on `route`. */
async function pressTelegram(
  gw: TestGateway,
  route: string,
  secret: string,
  fromId: string,
  data: string,
): Promise<string> {
  const press = pressUpdate(Number(fromId), Number(fromId), 1, data);
  const res = await gw.request(`/telegram${route}`, {
    method: "POST",
    headers: { "x-telegram-bot-api-secret-token": secret, "content-type": "application/json" },
    body: JSON.stringify(press),
  });
  assertEquals(res.status, 200);
  await res.body?.cancel();
  return press.callback_query.id;
}

function text(call: { params: Record<string, unknown> }): string {
  return unescapeHtml(String(call.params.text));
}

function lastText(gw: TestGateway, chatId: string): string {
  return text(
    gw.telegram.calls("sendMessage").filter((c) => String(c.params.chat_id) === chatId).at(-1)!,
  );
}

/** A signed interaction for `path`, from application `applicationId`. */
async function discordRequest(
  keys: DiscordKeys,
  applicationId: string,
  path: string,
  body: Record<string, unknown>,
): Promise<Request> {
  const signed = await signedRequest(keys, { ...body, application_id: applicationId });
  return new Request(`http://gateway.test/functions/v1/gateway${path}`, signed);
}

/** Runs a slash command on one application's route; the JSON answer. */
async function discord(
  gw: TestGateway,
  keys: DiscordKeys,
  applicationId: string,
  path: string,
  name: string,
  args: Record<string, string> = {},
): Promise<{ data: { content: string; components?: unknown[] } }> {
  const body = slash({ userId: DC_USER }, name, args);
  gw.discord.registerInteraction(applicationId, String(body.token));
  const res = await gw.handler(await discordRequest(keys, applicationId, path, body));
  assertEquals(res.status, 200);
  return await res.json();
}

const DC_USER = randomExternalId();

async function tasksTitled(userId: string, title: string): Promise<number> {
  const quoted = title.replaceAll("'", "''");
  return Number(
    await psql(
      `select count(*) from public.tasks where user_id = '${userId}' and title = '${quoted}'`,
    ),
  );
}
