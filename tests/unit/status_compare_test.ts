/**
 * `deno task status`'s comparisons, without a network: Telegram's webhook info and menu against
 * what the gateway serves, Discord's application and commands against the offered JSON, and how
 * a bot's result is printed (header, differences, notes, fix commands).
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { discordCommandsJson } from "../../adapters/discord/commands_json.ts";
import { discordDrift, type DiscordExpected } from "../../adapters/status/discord.ts";
import {
  age,
  type BotStatus,
  differs,
  fixCommand,
  statusLines,
} from "../../adapters/status/finding.ts";
import {
  telegramDrift,
  type TelegramExpected,
  type TelegramSeen,
} from "../../adapters/status/telegram.ts";
import { ALLOWED_UPDATES, telegramCommandMenu } from "../../adapters/telegram/setup.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";

const NOW = 1_750_000_000;
const URL_ = "https://abc.supabase.co/functions/v1/gateway/telegram/staging";

const telegram: TelegramExpected = {
  url: URL_,
  allowedUpdates: ALLOWED_UPDATES,
  menu: telegramCommandMenu(commands),
};
const inSync: TelegramSeen = {
  info: { url: URL_, pending_update_count: 0, allowed_updates: [...ALLOWED_UPDATES] },
  menu: telegramCommandMenu(commands),
};
const seeing = (info: Partial<TelegramSeen["info"]>, menu = inSync.menu): TelegramSeen => ({
  info: { ...inSync.info, ...info },
  menu,
});
const whats = (findings: { what: string }[]) => findings.map((f) => f.what);

Deno.test("telegram drift", async (t) => {
  await t.step("in sync: nothing", () => {
    assertEquals(telegramDrift(telegram, inSync, NOW), []);
  });
  await t.step("a webhook pointed elsewhere, with what waits", () => {
    const found = telegramDrift(
      telegram,
      seeing({ url: "https://other.example/hook", pending_update_count: 4, allowed_updates: [] }),
      NOW,
    );
    assertEquals(found, [{
      what: `webhook points to https://other.example/hook, not to this gateway's ${URL_}; ` +
        "4 updates waiting at Telegram",
      fix: "telegram:webhook",
    }], "only the URL: the other webhook's update types are not ours");
    assertEquals(whats(telegramDrift(telegram, seeing({ url: "" }), NOW)), [
      `no webhook is set (this gateway's is ${URL_})`,
    ]);
  });
  await t.step("a URL the gateway serves as this bot's route is no drift", () => {
    // The router ignores trailing slashes; the default bot also answers on <route>/default.
    assertEquals(telegramDrift(telegram, seeing({ url: `${URL_}/` }), NOW), []);
    assertEquals(telegramDrift(telegram, seeing({ url: `${URL_}//` }), NOW), []);
    const bare = URL_.replace(/\/staging$/, "");
    const defaultBot = { ...telegram, url: bare, aliases: [`${bare}/default`] };
    assertEquals(telegramDrift(defaultBot, seeing({ url: `${bare}/default/` }), NOW), []);
    assertEquals(whats(telegramDrift(defaultBot, seeing({ url: `${bare}/staging` }), NOW)), [
      `webhook points to ${bare}/staging, not to this gateway's ${bare}`,
    ]);
  });
  await t.step("update types: button presses lost, extra, or Telegram's default", () => {
    assertEquals(whats(telegramDrift(telegram, seeing({ allowed_updates: ["message"] }), NOW)), [
      "webhook does not receive callback_query (button presses are lost)",
    ]);
    const extra = ["message", "callback_query", "edited_message"];
    assertEquals(whats(telegramDrift(telegram, seeing({ allowed_updates: extra }), NOW)), [
      "webhook also receives edited_message, which the gateway ignores",
    ]);
    assertEquals(whats(telegramDrift(telegram, seeing({ allowed_updates: undefined }), NOW)), [
      "webhook receives Telegram's default update types, not only message, callback_query",
    ]);
  });
  await t.step("a last error with updates waiting: deliveries fail now", () => {
    const failing = (message: string) =>
      telegramDrift(
        telegram,
        seeing({
          pending_update_count: 2,
          last_error_date: NOW - 300,
          last_error_message: message,
        }),
        NOW,
      );
    const [error] = failing("Wrong response from the webhook: 500 Internal Server Error");
    assertEquals(error.fix, undefined);
    assertEquals(
      error.what,
      `deliveries fail, last 5 min ago (${new Date((NOW - 300) * 1000).toISOString()}): ` +
        "Wrong response from the webhook: 500 Internal Server Error; 2 updates waiting at " +
        "Telegram (see the gateway's logs from then)",
    );
    const [secret] = failing("Wrong response from the webhook: 401 Unauthorized");
    assertEquals(secret.fix, "telegram:webhook");
    assertMatch(secret.what, /the webhook's secret is not this bot's/);
    assertMatch(failing("Wrong response from the webhook: 404 Not Found")[0].what, /TELEGRAM_BOTS/);
  });
  await t.step("a last error with nothing waiting is history: a note", () => {
    const [old] = telegramDrift(
      telegram,
      seeing({ last_error_date: NOW - 3 * 86400, last_error_message: "Connection refused" }),
      NOW,
    );
    assertEquals(old.note, true);
    assertMatch(old.what, /^last delivery error 3 days ago .*Connection refused; nothing waits/);
  });
  await t.step("a stale menu: empty, missing, extra, changed, reordered", () => {
    const menu = telegram.menu;
    const drift = (seen: typeof menu) => whats(telegramDrift(telegram, seeing({}, seen), NOW));
    assertEquals(drift([]), ["command menu is empty"]);
    assertEquals(drift([...menu.slice(1), { command: "old", description: "Gone" }]), [
      `command menu is stale: missing /${
        menu[0].command
      }; lists /old, which this bot does not offer`,
    ]);
    const changed = menu.map((e, i) => i === 1 ? { ...e, description: "Old words" } : e);
    assertEquals(drift(changed), [
      `command menu is stale: description of /${menu[1].command} differs`,
    ]);
    assertEquals(drift([...menu].reverse()), ["command menu is stale: order differs"]);
  });
});

const KEY = "ab".repeat(32);
const discord: DiscordExpected = {
  applicationId: "100000000000000002",
  publicKey: KEY,
  endpointUrl: "https://abc.supabase.co/functions/v1/gateway/discord/staging",
  commands: discordCommandsJson(commands),
};
/** Commands as Discord lists them: ids, versions, defaults, and false flags left out. */
const registered = discord.commands.map((c) => ({
  id: "1",
  application_id: discord.applicationId,
  version: "1",
  default_member_permissions: null,
  type: 1,
  name: c.name,
  name_localizations: null,
  description: c.description,
  description_localizations: null,
  nsfw: false,
  integration_types: [0],
  contexts: null,
  ...(c.options
    ? {
      options: c.options.map((o) => ({
        ...o,
        name_localizations: null,
        ...(o.choices
          ? { choices: o.choices.map((ch) => ({ ...ch, name_localizations: null })) }
          : {}),
      })),
    }
    : {}),
}));
const application = {
  id: discord.applicationId,
  verify_key: KEY,
  interactions_endpoint_url: discord.endpointUrl,
};

Deno.test("discord drift", async (t) => {
  await t.step("in sync, whatever else Discord adds: nothing", () => {
    assertEquals(discordDrift(discord, { application, commands: registered }), []);
  });
  await t.step("a token of another application: that alone", () => {
    assertEquals(
      whats(
        discordDrift(discord, {
          application: { ...application, id: "999999999999999999" },
          commands: [],
        }),
      ),
      [
        "the bot token is application 999999999999999999's, not 100000000000000002's: " +
        "give each application its own bot token",
      ],
    );
  });
  await t.step("another public key; an endpoint unset or elsewhere", () => {
    const found = discordDrift(discord, {
      application: { ...application, verify_key: "cd".repeat(32), interactions_endpoint_url: null },
      commands: registered,
    });
    assertEquals(found, [
      {
        what: `public key differs from Discord's (${"cd".repeat(32)}): ` +
          "the gateway refuses every interaction of this application",
      },
      {
        what: `no interactions endpoint URL is set (this gateway's is ${discord.endpointUrl})`,
        fix: "discord:endpoint",
      },
    ]);
    const slash = { ...application, interactions_endpoint_url: `${discord.endpointUrl}/` };
    assertEquals(discordDrift(discord, { application: slash, commands: registered }), []);
    const elsewhere = { ...application, interactions_endpoint_url: "https://old.example/i" };
    assertEquals(whats(discordDrift(discord, { application: elsewhere, commands: registered })), [
      `interactions endpoint URL is https://old.example/i, not this gateway's ${discord.endpointUrl}`,
    ]);
  });
  await t.step("stale commands: none, missing, extra, changed words and options", () => {
    const drift = (commands: unknown[]) => whats(discordDrift(discord, { application, commands }));
    assertEquals(drift([]), ["no commands are registered"]);
    const [first, ...rest] = registered;
    assertEquals(drift([...rest, { ...first, name: "legacy" }]), [
      `registered commands are stale: missing /${first.name}; registers /legacy, ` +
      "which this app does not offer",
    ]);
    const add = registered.find((c) => c.name === "add")!;
    const title = add.options![0];
    const changed = registered.map((c) =>
      c === add
        ? {
          ...c,
          description: "Old",
          options: [{ ...title, max_length: 10 }, { type: 3, name: "extra", description: "x" }],
        }
        : c
    );
    assertEquals(drift(changed), [
      `registered commands are stale: /add (description, option ${title.name}: max_length, ` +
      "option extra not offered) differs",
    ]);
    const optional = registered.map((c) =>
      c === add ? { ...c, options: c.options!.map((o) => ({ ...o, required: false })) } : c
    );
    assertMatch(drift(optional)[0], /option title: required/);
  });
});

Deno.test("status lines", async (t) => {
  const bot = (findings: BotStatus["findings"], name = "staging"): BotStatus => ({
    title: `telegram ${name} (@LocalStagingBot)`,
    bot: name,
    findings,
  });
  await t.step("ok, with notes that do not count", () => {
    const ok = bot([{ what: "last delivery error ...", note: true }]);
    assertEquals(statusLines(ok, { local: false }), [
      "telegram staging (@LocalStagingBot): ok",
      "    note: last delivery error ...",
    ]);
    assertEquals(differs(ok), false);
  });
  await t.step("differences, then each fix once", () => {
    const two = bot([
      { what: "webhook points to X", fix: "telegram:webhook" },
      { what: "command menu is empty", fix: "telegram:webhook" },
    ]);
    assertEquals(statusLines(two, { local: true }), [
      "telegram staging (@LocalStagingBot): 2 differences",
      "    webhook points to X",
      "    command menu is empty",
      "    fix: deno task telegram:webhook --local --bot staging",
    ]);
    assertEquals(differs(two), true);
  });
  await t.step("cannot check: counts unless the bot simply has no token", () => {
    const none = { ...bot([]), unchecked: { why: "no botToken", counts: false } };
    assertEquals(statusLines(none, { local: false }), [
      "telegram staging (@LocalStagingBot): cannot check: no botToken",
    ]);
    assertEquals(differs(none), false);
    assertEquals(differs({ ...none, unchecked: { why: "401", counts: true } }), true);
  });
  await t.step("fix commands carry --local and the route of --url", () => {
    const url = "https://bots.example.com/functions/v1/gateway";
    assertEquals(
      fixCommand("telegram:webhook", "default", { local: false }),
      "deno task telegram:webhook",
    );
    assertEquals(
      fixCommand("telegram:webhook", "default", { local: false, url }),
      `deno task telegram:webhook --url ${url}/telegram`,
    );
    assertEquals(
      fixCommand("discord:endpoint", "staging", { local: true, url }),
      `deno task discord:register --local --bot staging --endpoint --url ${url}/discord`,
    );
    assertEquals(
      fixCommand("discord:register", "staging", { local: false, url }),
      "deno task discord:register --bot staging",
    );
  });
  await t.step("ages", () => {
    assertEquals([age(42), age(300), age(3 * 3600), age(3 * 86400)], [
      "42 s",
      "5 min",
      "3 h",
      "3 days",
    ]);
  });
});
