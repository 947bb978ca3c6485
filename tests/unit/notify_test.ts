/**
 * The notification drain's pure parts: what each platform answer means for a delivery (in the
 * recipient's words), the retry schedule, the pace per bot and per chat, the service-key check,
 * and a notification's buttons checked against the registry.
 */
import { assert, assertEquals, assertMatch, assertThrows } from "../assert.ts";
import { telegramResult } from "../../adapters/telegram/notify.ts";
import { discordResult } from "../../adapters/discord/notify.ts";
import { slackResult } from "../../adapters/slack/notify.ts";
import { sendSlackDirectMessage } from "../../adapters/slack/dm.ts";
import { backoffMs, MAX_ATTEMPTS, reportFor } from "../../adapters/notify/drain.ts";
import { Pacer } from "../../adapters/notify/pace.ts";
import { serviceKeyChecker } from "../../adapters/notify/service_key.ts";
import { notificationButtons } from "../../adapters/notify/buttons.ts";
import { createRegistry } from "../../supabase/functions/_shared/command.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import type { BotScope } from "../../supabase/functions/_shared/bot.ts";

Deno.test("Telegram's answers, in the recipient's words", () => {
  assertEquals(telegramResult(200, { ok: true }), { status: "sent" });
  assertEquals(
    telegramResult(429, { ok: false, error_code: 429, parameters: { retry_after: 7 } }),
    { status: "retry", error: "Telegram asked to wait 7 s", afterMs: 7_000 },
  );
  const refused = (status: number, description: string) =>
    telegramResult(status, { ok: false, error_code: status, description });
  assertEquals(refused(403, "Forbidden: bot was blocked by the user"), {
    status: "failed",
    error: "not sent: you blocked the bot on Telegram",
  });
  assertMatch(refused(403, "Forbidden: user is deactivated").status, /failed/);
  assertMatch(
    (refused(403, "Forbidden: bot can't initiate conversation with a user") as { error: string })
      .error,
    /press Start/,
  );
  assertMatch(
    (refused(400, "Bad Request: chat not found") as { error: string }).error,
    /no chat with you/,
  );
  assertEquals(refused(401, "Unauthorized").status, "retry");
  assertEquals(telegramResult(502, null).status, "retry");
});

Deno.test("Discord's answers, in the recipient's words", () => {
  assertEquals(discordResult({ status: 200, body: { id: "1" } }), { status: "sent" });
  assertEquals(
    discordResult({ status: 429, body: { retry_after: 1.5 } }),
    { status: "retry", error: "Discord asked to wait 2 s", afterMs: 1_500 },
  );
  assertEquals(
    discordResult({ status: 429, body: null, retryAfterHeader: "3" }).status,
    "retry",
  );
  assertMatch(
    (discordResult({ status: 403, body: { code: 50007 } }) as { error: string }).error,
    /does not let the bot message you directly/,
  );
  assertEquals(discordResult({ status: 404, body: { code: 10013 } }).status, "failed");
  assertEquals(discordResult({ status: 401, body: { code: 0 } }).status, "retry");
  assertEquals(discordResult({ status: 500, body: null }).status, "retry");
});

Deno.test("Slack's answers, in the recipient's words", async () => {
  const app = { apiBase: "https://slack.test/api", botToken: "xoxb-test" };
  const answering = (status: number, body: string, type = "application/json") => ({
    fetch: () => Promise.resolve(new Response(body, { status, headers: { "content-type": type } })),
  });
  // A page instead of Slack's JSON (a proxy, an outage): Slack's failure, tried again later.
  const send = (deps: { fetch: typeof fetch }) =>
    sendSlackDirectMessage(deps, app, "T0TEST:U0ALICE", { text: "Hello" });
  const page = await send(
    answering(200, "<html><body>Service unavailable</body></html>", "text/html"),
  );
  assertEquals(page, { ok: false, error: "http_200", retryable: true });
  assertEquals(slackResult(page), { status: "retry", error: "Slack failed (http_200)" });
  const refused = await send(answering(200, '{"ok":false,"error":"user_not_found"}'));
  assertEquals(slackResult(refused), {
    status: "failed",
    error: "not sent: Slack has no such account in the app's workspace",
  });
  const limited = await send({
    fetch: () =>
      Promise.resolve(new Response("", { status: 429, headers: { "retry-after": "4" } })),
  });
  assertEquals(slackResult(limited), {
    status: "retry",
    error: "Slack asked to wait 4 s",
    afterMs: 4_000,
  });
});

Deno.test("retries: the platform's wait, else backoff; dead at the last attempt", () => {
  const row = { id: 1, claim: 2, attempt: 1 };
  assertEquals(reportFor(row, { status: "retry", error: "x", afterMs: 3_000 }).retry_in_ms, 3_000);
  const waits = [1, 2, 3, 4].map((a) => backoffMs(a, () => 0.5));
  assertEquals(waits, [5_000, 10_000, 20_000, 40_000]);
  assertEquals(backoffMs(30, () => 0.5), 15 * 60_000, "capped");
  const last = reportFor({ ...row, attempt: MAX_ATTEMPTS }, { status: "retry", error: "down" });
  assertEquals(last.status, "dead");
  assertMatch(last.error!, /gave up after 10 attempts \(down\)/);
  assertEquals(reportFor(row, { status: "failed", error: "no" }).status, "failed");
});

Deno.test("pace: evenly per bot, one a second per chat", () => {
  let now = 0;
  const pacer = new Pacer(() => now, () => Promise.resolve());
  const pace = { perSecond: 30, chatIntervalMs: 1_000 };
  const waits = Array.from({ length: 4 }, (_, i) => pacer.reserve("bot", `chat${i}`, pace));
  assertEquals(waits.map(Math.round), [0, 33, 67, 100]);
  assertEquals(Math.round(pacer.reserve("bot", "chat0", pace)), 1_000, "the same chat waits 1 s");
  assertEquals(pacer.reserve("other", "chat9", pace), 0, "another bot has its own pace");
  now = 5_000;
  assertEquals(pacer.reserve("bot", "chat0", pace), 0);
});

Deno.test("service keys: any configured key, nothing else", () => {
  const check = serviceKeyChecker(["sb_secret_one", "eyJ.service.key"]);
  assert(check("sb_secret_one"));
  assert(check("eyJ.service.key"));
  for (const wrong of ["", "sb_secret_on", "sb_secret_one ", "x".repeat(500)]) {
    assert(!check(wrong), wrong);
  }
  assert(!serviceKeyChecker([])("anything"));
});

Deno.test("a notification's buttons are checked like a reply's", () => {
  const registry = createRegistry(commands);
  const all: BotScope = {
    channel: "telegram",
    name: "default",
    offers: () => true,
    commands,
    links: {},
  };
  assertEquals(notificationButtons(registry, null, [all]), null);
  const flat = notificationButtons(
    registry,
    [{ label: "Undo", command: "undo", args: { id: 3 } }],
    [
      all,
    ],
  );
  assertEquals(flat, [[{ label: "Undo", command: "undo", args: { id: 3 } }]]);
  const refusal = (raw: unknown, bots = [all]) =>
    assertThrows(() => notificationButtons(registry, raw, bots)).message;
  assertMatch(refusal([{ label: "x", command: "nope" }]), /no command is named nope/);
  assertMatch(refusal([{ label: "x", command: "done", args: { id: "a" } }]), /schema/);
  const narrow: BotScope = { ...all, name: "ops", offers: (c) => c.name === "tasks" };
  assertMatch(
    refusal([{ label: "x", command: "undo", args: { id: 1 } }], [narrow]),
    /does not offer \/undo/,
  );
  assertMatch(
    refusal(Array.from({ length: 6 }, () => [{ label: "t", command: "tasks" }])),
    /at most 5 rows/,
  );
});
