/**
 * The Telegram webhook's behaviour on the real stack: secret checks before any database call,
 * updates that retrying cannot fix, redelivery (sequential and concurrent), outages, unlinking,
 * group mentions, escaping, splitting and Telegram's 429.
 */
import { z } from "zod";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import {
  integration,
  linkCodeFor,
  linkTelegram,
  newUser,
  nextUpdateId,
  ownPostgrest,
  postUpdate,
  psql,
  randomExternalId,
  sentTexts,
  startGateway,
  taskCount,
  telegramMessage,
  type TestGateway,
  tokenFor,
  webClient,
} from "../fixtures.ts";

async function linkedAccount(gw: TestGateway) {
  const user = await newUser();
  const token = await tokenFor(user);
  const tg = randomExternalId();
  assertMatch(await linkTelegram(gw, tg, await linkCodeFor(token)), /Linked!/);
  return { user, token, tg };
}

Deno.test("the secret header is checked before anything else", integration, async (t) => {
  const gw = await startGateway();
  const { user, tg } = await linkedAccount(gw);
  for (
    const [name, secret] of [["missing", null], ["wrong", "x".repeat(40)], ["empty", ""]] as const
  ) {
    await t.step(`${name} secret: 401, no database call, nothing sent`, async () => {
      const calls = gw.dbCalls();
      const sent = gw.telegram.sent.length;
      const res = await postUpdate(
        gw,
        telegramMessage({ fromId: tg, text: "/add sneaky" }),
        secret,
      );
      assertEquals(res.status, 401);
      assertEquals((await res.json()).error.code, "invalid_token");
      assertEquals(gw.dbCalls(), calls);
      assertEquals(gw.telegram.sent.length, sent);
    });
  }
  assertEquals(await taskCount(user.id), 0);
  await gw.close();
});

Deno.test("updates that retrying cannot fix are acknowledged", integration, async (t) => {
  const gw = await startGateway();
  const { user, tg } = await linkedAccount(gw);
  const sentBefore = gw.telegram.sent.length;
  const cases: [string, unknown][] = [
    ["malformed JSON", '{"update_id": 1, "message": '],
    ["not an update", { hello: "world" }],
    ["an update without a message", { update_id: nextUpdateId() }],
    ["an edited message", {
      update_id: nextUpdateId(),
      edited_message: telegramMessage({ fromId: tg, text: "/add edited" }).message,
    }],
    ["a channel post", {
      update_id: nextUpdateId(),
      channel_post: {
        message_id: 1,
        date: 0,
        chat: { id: -1001, type: "channel", title: "News" },
        sender_chat: { id: -1001, type: "channel", title: "News" },
        text: "/add from channel",
      },
    }],
    ["a message from another bot", telegramMessage({ fromId: tg, text: "/add bot", isBot: true })],
    [
      "a command for another bot in a group",
      telegramMessage({
        fromId: tg,
        text: "/add@SomeOtherBot hello",
        chat: { id: -500, type: "group" },
      }),
    ],
  ];
  for (const [name, update] of cases) {
    await t.step(`${name}: 200, nothing written or sent`, async () => {
      const res = await postUpdate(gw, update);
      assertEquals(res.status, 200);
      assertEquals(await taskCount(user.id), 0);
      assertEquals(gw.telegram.sent.length, sentBefore);
    });
  }
  await t.step("an oversized body: 200, nothing done", async () => {
    const res = await postUpdate(
      gw,
      JSON.stringify({ update_id: 1, pad: "x".repeat(1100 * 1024) }),
    );
    assertEquals(res.status, 200);
  });
  await gw.close();
});

Deno.test(
  "chat replies: help, unknown commands, unlinked users, groups",
  integration,
  async (t) => {
    const gw = await startGateway();
    const { user, tg } = await linkedAccount(gw);
    await t.step("/help lists the registry's commands for Telegram", async () => {
      await postUpdate(gw, telegramMessage({ fromId: tg, text: "/help" }));
      const text = sentTexts(gw, tg).at(-1)!;
      for (const line of ["/add <title>", "/done <id>", "/tasks", "/link <code>", "/unlink"]) {
        assert(text.includes(line), `help lacks ${line}`);
      }
      assert(
        !text.includes("link-code") && !text.includes("link_code"),
        "HTTPS-only command shown",
      );
    });
    await t.step("an unknown command gets a short help", async () => {
      await postUpdate(gw, telegramMessage({ fromId: tg, text: "/fly" }));
      assertMatch(sentTexts(gw, tg).at(-1)!, /Unknown command.*\/help/);
    });
    await t.step("plain text in a private chat gets a hint", async () => {
      await postUpdate(gw, telegramMessage({ fromId: tg, text: "hello there" }));
      assertMatch(sentTexts(gw, tg).at(-1)!, /\/help/);
    });
    await t.step("wrong arguments get the usage", async () => {
      await postUpdate(gw, telegramMessage({ fromId: tg, text: "/done soon" }));
      assertEquals(
        sentTexts(gw, tg).at(-1)!,
        "The task number must be a whole number, e.g. /done 3",
      );
      await postUpdate(gw, telegramMessage({ fromId: tg, text: "/add" }));
      assertEquals(sentTexts(gw, tg).at(-1)!, "The task title is missing, e.g. /add Buy milk");
      await postUpdate(gw, telegramMessage({ fromId: tg, text: "/done 3 4" }));
      assertEquals(sentTexts(gw, tg).at(-1)!, "Too many words. Usage: /done <id>");
    });
    await t.step("an unlinked account is told how to link", async () => {
      const stranger = randomExternalId();
      await postUpdate(gw, telegramMessage({ fromId: stranger, text: "/tasks" }));
      assertMatch(
        sentTexts(gw, stranger).at(-1)!,
        /not linked yet.*create a link code there, then send \/link <code> here/s,
      );
    });
    await t.step("/add@ThisBot in a group works and replies to the message", async () => {
      const group = -4242;
      const botName = gw.env.TELEGRAM_BOT_USERNAME;
      await postUpdate(
        gw,
        telegramMessage({
          fromId: tg,
          text: `/add@${botName} Group chore`,
          chat: { id: group, type: "supergroup" },
        }),
      );
      const call = gw.telegram.calls("sendMessage").at(-1)!;
      assertEquals(String(call.params.chat_id), String(group));
      assertMatch(String(call.params.text), /Added #\d+: Group chore/);
      assert(call.params.reply_parameters, "group reply should quote the command");
      assertEquals(await taskCount(user.id), 1);
    });
    await t.step("a reply in an ordinary supergroup carries no thread id", async () => {
      const group = -1001234567890;
      const update = telegramMessage({
        fromId: tg,
        text: "/tasks",
        chat: { id: group, type: "supergroup" },
      }) as { message: Record<string, unknown> };
      // A reply to another message in a non-forum supergroup: Telegram sets the thread id.
      Object.assign(update.message, {
        message_thread_id: 77,
        reply_to_message: { message_id: 77 },
      });
      assertEquals((await postUpdate(gw, update)).status, 200);
      const call = gw.telegram.calls("sendMessage").at(-1)!;
      assertEquals(call.status, 200, JSON.stringify(call.response));
      assertEquals(call.params.message_thread_id, undefined);
    });
    await t.step("a forum topic message is answered in its topic", async () => {
      const forum = -1009876543210;
      gw.telegram.addForumTopic(forum, 5);
      const update = telegramMessage({
        fromId: tg,
        text: "/tasks",
        chat: { id: forum, type: "supergroup" },
      }) as { message: Record<string, unknown> };
      Object.assign(update.message, { message_thread_id: 5, is_topic_message: true });
      (update.message.chat as Record<string, unknown>).is_forum = true;
      assertEquals((await postUpdate(gw, update)).status, 200);
      const call = gw.telegram.calls("sendMessage").at(-1)!;
      assertEquals(call.status, 200, JSON.stringify(call.response));
      assertEquals(call.params.message_thread_id, 5);
    });
    await t.step("silent: media in private, other bots' bare commands in groups", async () => {
      const before = gw.telegram.calls("sendMessage").length;
      const photo = telegramMessage({ fromId: tg, text: "x" }) as {
        message: Record<string, unknown>;
      };
      delete photo.message.text;
      photo.message.photo = [{ file_id: "AgAD", file_unique_id: "AQAD", width: 90, height: 90 }];
      assertEquals((await postUpdate(gw, photo)).status, 200);
      const service = telegramMessage({ fromId: tg, text: "x" }) as {
        message: Record<string, unknown>;
      };
      delete service.message.text;
      service.message.write_access_allowed = { from_request: true };
      assertEquals((await postUpdate(gw, service)).status, 200);
      const report = telegramMessage({
        fromId: tg,
        text: "/report spam",
        chat: { id: -4242, type: "supergroup" },
      });
      assertEquals((await postUpdate(gw, report)).status, 200);
      assertEquals(gw.telegram.calls("sendMessage").length, before, "the bot said something");
      const mine = telegramMessage({
        fromId: tg,
        text: `/report@${gw.env.TELEGRAM_BOT_USERNAME}`,
        chat: { id: -4242, type: "supergroup" },
      });
      await postUpdate(gw, mine);
      assertMatch(String(gw.telegram.calls("sendMessage").at(-1)!.params.text), /Unknown command/);
    });
    await t.step("/done #id from Telegram completes the task", async () => {
      const id = await psql(`select id from tasks where user_id = '${user.id}'`);
      await postUpdate(gw, telegramMessage({ fromId: tg, text: `/done #${id}` }));
      assertMatch(sentTexts(gw, tg).at(-1)!, /^Done: #\d+ Group chore$/);
    });
    await gw.close();
  },
);

Deno.test("replies are escaped for HTML and split at 4096 characters", integration, async (t) => {
  const long = defineCommand({
    name: "long",
    description: "A long answer",
    args: z.object({}),
    requires: "none",
    run: () =>
      Promise.resolve(
        reply.text(Array.from({ length: 600 }, (_, i) => `line ${i} <&>`).join("\n")),
      ),
  });
  const gw = await startGateway({ commands: [...commands, long] });
  const { tg } = await linkedAccount(gw);
  await t.step("markup in a title is shown, not interpreted", async () => {
    await postUpdate(gw, telegramMessage({ fromId: tg, text: "/add <b>bold</b> & co" }));
    const call = gw.telegram.calls("sendMessage").at(-1)!;
    assertEquals(call.params.parse_mode, "HTML");
    assertMatch(String(call.params.text), /&lt;b&gt;bold&lt;\/b&gt; &amp; co$/);
    assertEquals(call.status, 200);
  });
  await t.step("a long answer arrives whole, in messages within the limit", async () => {
    const before = gw.telegram.calls("sendMessage").length;
    await postUpdate(gw, telegramMessage({ fromId: tg, text: "/long" }));
    const raw = gw.telegram.calls("sendMessage").slice(before).map((c) => String(c.params.text));
    assert(raw.length >= 3, `expected several messages, got ${raw.length}`);
    for (const p of raw) assert(p.length <= 4096, `message of ${p.length} characters`);
    const joined = sentTexts(gw, tg).slice(-raw.length).join("\n");
    assertEquals(joined.split("\n").length, 600);
    assert(joined.endsWith("line 599 <&>"));
  });
  await gw.close();
});

Deno.test("Telegram's 429 retry_after is waited out", integration, async () => {
  const waits: number[] = [];
  const gw = await startGateway({
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  const { tg } = await linkedAccount(gw);
  gw.telegram.failNext("sendMessage", { status: 429, retryAfter: 3 });
  const res = await postUpdate(gw, telegramMessage({ fromId: tg, text: "/whoami" }));
  assertEquals(res.status, 200);
  assertEquals(waits, [3000]);
  const calls = gw.telegram.calls("sendMessage");
  assertEquals(calls.at(-2)!.status, 429);
  assertEquals(calls.at(-1)!.status, 200);
  await gw.close();
});

Deno.test("a redelivered update changes nothing", integration, async (t) => {
  const gw = await startGateway();
  const { user, tg } = await linkedAccount(gw);
  await t.step("twice in a row: one task, acknowledged both times", async () => {
    const update = telegramMessage({ fromId: tg, text: "/add Once only" });
    assertEquals((await postUpdate(gw, update)).status, 200);
    await gw.handler.core.drain(); // the ledger completes off the response path
    assertEquals((await postUpdate(gw, update)).status, 200);
    assertEquals(await taskCount(user.id), 1);
  });
  await t.step("a read-only command redelivered: answered once", async () => {
    const update = telegramMessage({ fromId: tg, text: "/tasks" });
    const before = sentTexts(gw, tg).length;
    assertEquals((await postUpdate(gw, update)).status, 200);
    await gw.handler.core.drain(); // the ledger completes off the response path
    assertEquals((await postUpdate(gw, update)).status, 200);
    assertEquals(sentTexts(gw, tg).length, before + 1);
  });
  await t.step("twice at once: one task; the loser asks Telegram to retry later", async () => {
    const update = telegramMessage({ fromId: tg, text: "/add Concurrent" });
    const statuses = await Promise.all([postUpdate(gw, update), postUpdate(gw, update)]);
    await Promise.all(statuses.map((r) => r.body?.cancel()));
    const codes = statuses.map((r) => r.status);
    assert(codes.includes(200) && codes.every((c) => c === 200 || c === 503), `statuses ${codes}`);
    assertEquals(
      await psql(
        `select count(*) from tasks where user_id = '${user.id}' and title = 'Concurrent'`,
      ),
      "1",
    );
  });
  await gw.close();
});

Deno.test(
  "database down: Telegram is told to redeliver, and nothing is lost",
  integration,
  async (t) => {
    const rest = await ownPostgrest("telegram-outage");
    const gw = await startGateway({ restUrl: rest.url });
    try {
      const { user, tg } = await linkedAccount(gw);
      const update = telegramMessage({ fromId: tg, text: "/add Survives the outage" });
      await rest.stop();
      await t.step("non-2xx while PostgREST is down", async () => {
        const res = await postUpdate(gw, update);
        assert(res.status >= 500, `status ${res.status}`);
        await res.body?.cancel();
      });
      await rest.start();
      await t.step("the redelivery after recovery writes the task once", async () => {
        assertEquals((await postUpdate(gw, update)).status, 200);
        await gw.handler.core.drain(); // the ledger completes off the response path
        assertEquals((await postUpdate(gw, update)).status, 200);
        assertEquals(await taskCount(user.id), 1);
      });
    } finally {
      await gw.close();
      await rest.stop();
    }
  },
);

Deno.test("unlinking stops the account acting for the user", integration, async (t) => {
  let clock = Date.now();
  const gw = await startGateway({ now: () => clock });
  await t.step("/unlink, then /tasks asks to link again", async () => {
    const { tg } = await linkedAccount(gw);
    await postUpdate(gw, telegramMessage({ fromId: tg, text: "/unlink" }));
    assertMatch(sentTexts(gw, tg).at(-1)!, /^Unlinked/);
    await postUpdate(gw, telegramMessage({ fromId: tg, text: "/tasks" }));
    assertMatch(sentTexts(gw, tg).at(-1)!, /not linked yet/);
  });
  await t.step("unlinking from the web app takes effect within the cache TTL", async () => {
    const { user, token, tg } = await linkedAccount(gw);
    await postUpdate(gw, telegramMessage({ fromId: tg, text: "/tasks" })); // warm the caches
    const { error } = await webClient(token).from("chat_identities").delete().eq("external_id", tg);
    assertEquals(error, null);
    clock += 31_000;
    await postUpdate(gw, telegramMessage({ fromId: tg, text: "/add after unlink" }));
    assertMatch(sentTexts(gw, tg).at(-1)!, /not linked yet/);
    assertEquals(await taskCount(user.id), 0);
  });
  await gw.close();
});

Deno.test(
  "a flooding Telegram account is told to slow down, without database calls",
  integration,
  async () => {
    const gw = await startGateway({ env: { GATEWAY_RATE_LIMIT_PER_MINUTE: "6" } });
    const tg = randomExternalId();
    for (let i = 0; i < 5; i++) {
      await postUpdate(
        gw,
        telegramMessage({ fromId: tg, text: "/tasks" }),
      );
    }
    await gw.handler.core.drain(); // background ledger completions are database calls too
    const calls = gw.dbCalls();
    const res = await postUpdate(gw, telegramMessage({ fromId: tg, text: "/tasks" }));
    assertEquals(res.status, 200);
    assertMatch(
      sentTexts(gw, tg).at(-1)!,
      /Too many requests: this one was not run. Send it again in \d+ s/,
    );
    assertEquals(gw.dbCalls(), calls);
    await gw.close();
  },
);
