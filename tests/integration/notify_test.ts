/**
 * Notifications end to end on the real stack: `POST /notify` (who may call, what it takes,
 * idempotent keys), a committed change (a trigger on tasks) reaching each opted-in account once
 * on Telegram and Discord, a notification's button run as the presser, the platforms' refusals
 * (429 retried after retry_after; a blocked bot and a closed DM final, in words the user reads),
 * two instances draining at once, and `/notifications on|off`.
 */
import { BATCH, BATCHES_IN_FLIGHT } from "../../adapters/notify/drain.ts";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  integration,
  linkCodeFor,
  linkTelegram,
  newUser,
  postUpdate,
  psql,
  randomExternalId,
  sentTexts,
  startGateway,
  telegramMessage,
  type TestGateway,
  tokenFor,
  webClient,
} from "../fixtures.ts";
import {
  createDoneTrigger,
  deliveriesOf,
  type DrainData,
  drainNow,
  linkAccount,
  postNotify,
  settleDeliveries,
} from "../support/notify.ts";
import type { DevUser } from "../../dev/auth.ts";

/** A user with a Telegram account linked through the bot (so Telegram knows the chat). */
async function telegramUser(gw: TestGateway): Promise<{ user: DevUser; tg: string }> {
  const user = await newUser();
  const tg = randomExternalId();
  assertMatch(await linkTelegram(gw, tg, await linkCodeFor(await tokenFor(user))), /Linked/);
  return { user, tg };
}

/** The bot's sendMessage calls to `chat`, but for the replies to linking it. */
const telegramCallsTo = (gw: TestGateway, chat: string) =>
  gw.telegram.calls("sendMessage").filter((c) =>
    String(c.params.chat_id) === chat && !/Linked!/.test(String(c.params.text))
  );

Deno.test("POST /notify: who may call, what it takes, idempotent keys", integration, async () => {
  const gw = await startGateway();
  const user = await newUser();
  try {
    const ok = { user_id: user.id, text: "Your order shipped" };
    assertEquals((await postNotify(gw, ok, null)).status, 401);
    assertEquals((await postNotify(gw, ok, "not-a-key")).status, 401);
    const asUser = await postNotify(gw, ok, await tokenFor(user));
    assertEquals(asUser.status, 403);
    assertEquals((asUser.body.error as { code: string }).code, "forbidden");
    assertEquals((await postNotify(gw, ok, gw.env.SUPABASE_ANON_KEY)).status, 403);
    for (
      const [body, message] of [
        [{ user_id: user.id }, /text is required/],
        [{ ...ok, user_id: "nope" }, /user_id/],
        [{ ...ok, text: " " }, /blank/],
        [{ ...ok, colour: "red" }, /Unknown field colour/],
        [{ ...ok, bot: "nobody" }, /No bot is named 'nobody'/],
        [{ ...ok, actions: [{ label: "Go", command: "nope" }] }, /no command is named nope/],
        [{ ...ok, actions: [{ label: "Done", command: "done", args: { id: "x" } }] }, /schema/],
        [{ ...ok, user_id: crypto.randomUUID() }, /No user has this user_id/],
        ["{not json", /not valid JSON/],
        [{ ...ok, text: "x".repeat(2001) }, /at most 2000 characters/],
        [{ ...ok, text: "\u{1F4E6}".repeat(2001) }, /at most 2000 characters/],
        [{ ...ok, key: "k".repeat(201) }, /key may hold at most 200 characters/],
      ] as const
    ) {
      const res = await postNotify(gw, body);
      assertEquals(res.status, 400, JSON.stringify(body));
      assertEquals(res.body.ok, false);
      const error = res.body.error as { code: string; message: string };
      assertMatch(error.message, message);
    }
    const first = await postNotify(gw, { ...ok, key: "order-1" });
    assertEquals(first.status, 202);
    assertEquals(first.body.ok, true);
    const id = (first.body.data as { id: string }).id;
    assertMatch(id, /^[0-9a-f-]{36}$/);
    // Lengths as PostgreSQL counts them (SQL's gateway_notify takes the same): 2000 emoji are
    // 2000 characters, 4000 UTF-16 units; a 200-character key of emoji too.
    const emoji = await postNotify(gw, {
      ...ok,
      text: "\u{1F4E6}".repeat(2000),
      key: "\u{1F511}".repeat(200),
    });
    assertEquals(emoji.status, 202, JSON.stringify(emoji.body));
    const again = await postNotify(gw, { ...ok, text: "changed", key: "order-1" });
    assertEquals([again.status, (again.body.data as { id: string }).id], [202, id]);
    assertEquals(
      await psql(`select count(*) from gateway_private.notifications where user_id = '${user.id}'`),
      "2",
    );
  } finally {
    await gw.close();
  }
});

Deno.test(
  "a committed change reaches each opted-in account once; a rollback nothing",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      await createDoneTrigger();
      const { user, tg } = await telegramUser(gw);
      const dc = await linkAccount(user.id, "discord");
      const quiet = await linkAccount(user.id, "discord", undefined, false);
      const db = webClient(await tokenFor(user));
      const { data: task } = await db.from("tasks").insert({ title: "Pay rent" }).select().single();
      await psql(`begin; update public.tasks set done = true where id = ${task.id}; rollback;`);
      await drainNow(gw);
      assertEquals(telegramCallsTo(gw, tg).length, 0, "a rolled-back change sends nothing");

      // The web app marks it done: the trigger notifies in that transaction.
      assertEquals((await db.from("tasks").update({ done: true }).eq("id", task.id)).error, null);
      await drainNow(gw);
      await drainNow(gw); // nothing more to send
      const sent = telegramCallsTo(gw, tg);
      assertEquals(sent.length, 1);
      assertEquals(sentTexts(gw, tg).at(-1), "Done: Pay rent");
      const keyboard = (sent[0].params.reply_markup as {
        inline_keyboard: { text: string; callback_data: string }[][];
      }).inline_keyboard;
      assertEquals(keyboard[0][0].text, "Undo");
      const dms = gw.discord.directMessages(dc);
      assertEquals(dms.map((m) => m.content), ["Done: Pay rent"]);
      assertEquals(gw.discord.directMessages(quiet), []);
      const rows = await deliveriesOf(user.id);
      assertEquals(
        rows.map((r) => [r.provider, r.status]).sort(),
        [["discord", "sent"], ["discord", "skipped"], ["telegram", "sent"]],
      );

      // The button runs as the presser, through the bot's route: the task is undone.
      const press = await postUpdate(gw, {
        update_id: Math.floor(Math.random() * 1e9),
        callback_query: {
          id: `q${Date.now()}`,
          from: { id: Number(tg), is_bot: false, first_name: "Test" },
          chat_instance: "1",
          data: keyboard[0][0].callback_data,
          message: {
            message_id: (sent[0].response as { result: { message_id: number } }).result
              .message_id,
            date: 0,
            chat: { id: Number(tg), type: "private", first_name: "Test" },
            from: { id: 1, is_bot: true, first_name: "Bot" },
            text: "Done: Pay rent",
          },
        },
      });
      assertEquals(press.status, 200);
      const { data: after } = await db.from("tasks").select("done").eq("id", task.id).single();
      assertEquals(after?.done, false);
      // Someone else pressing the same button runs it as themselves: RLS finds no task of theirs.
      const { tg: other } = await telegramUser(gw);
      await postUpdate(gw, {
        update_id: Math.floor(Math.random() * 1e9),
        callback_query: {
          id: `q${Date.now()}b`,
          from: { id: Number(other), is_bot: false, first_name: "Other" },
          chat_instance: "2",
          data: keyboard[0][0].callback_data,
        },
      });
      await gw.handler.core.drain();
      const answered = gw.telegram.calls("answerCallbackQuery").at(-1)!;
      assertMatch(String(answered.params.text), /not found|No task/i);
    } finally {
      await gw.close();
    }
  },
);

Deno.test("a 429 is retried after retry_after", integration, async () => {
  const gw = await startGateway();
  const { user, tg } = await telegramUser(gw);
  try {
    gw.telegram.failNext("sendMessage", { status: 429, retryAfter: 1 });
    await postNotify(gw, { user_id: user.id, text: "Wait for it" });
    // The server's own drain meets the 429, records it, and sends again once it is due.
    const deadline = Date.now() + 5_000;
    while (telegramCallsTo(gw, tg).length < 2 && Date.now() < deadline) await drainNow(gw);
    const calls = telegramCallsTo(gw, tg);
    assertEquals(calls.map((c) => c.status), [429, 200]);
    assert(calls[1].time - calls[0].time >= 1_000, `${calls[1].time - calls[0].time} ms`);
    const rows = await deliveriesOf(user.id);
    assertEquals(rows.map((r) => [r.status, r.attempts, r.last_error]), [["sent", 2, null]]);
  } finally {
    await settleDeliveries(user.id);
    await gw.close();
  }
});

Deno.test(
  "a refusal for good: no more tries, and a reason the user reads",
  integration,
  async () => {
    const gw = await startGateway();
    const { user, tg } = await telegramUser(gw);
    const dc = await linkAccount(user.id, "discord");
    try {
      gw.telegram.failNext("sendMessage", {
        status: 403,
        description: "Forbidden: bot was blocked by the user",
      });
      gw.discord.refuseDirectMessages(dc);
      await postNotify(gw, { user_id: user.id, text: "Anyone there?" });
      await drainNow(gw);
      await drainNow(gw);
      assertEquals(telegramCallsTo(gw, tg).length, 1, "tried once");
      const { data } = await webClient(await tokenFor(user)).from("notification_deliveries")
        .select("provider, status, last_error, sent_at").order("provider");
      assertEquals(data, [
        {
          provider: "discord",
          status: "failed",
          last_error: "not sent: Discord does not let the bot message you directly (allow direct " +
            "messages from members of a server you share with it)",
          sent_at: null,
        },
        {
          provider: "telegram",
          status: "failed",
          last_error: "not sent: you blocked the bot on Telegram",
          sent_at: null,
        },
      ]);
    } finally {
      await gw.close();
    }
  },
);

Deno.test("a bot name a platform lacks: skipped, saying so", integration, async () => {
  const gw = await startGateway({ env: { DISCORD_APPS: "" } });
  const { user, tg } = await telegramUser(gw);
  await linkAccount(user.id, "discord");
  // The user started the staging bot too: Telegram lets a bot write first only to those.
  const staging = (JSON.parse(gw.env.TELEGRAM_BOTS) as { name: string; token: string }[])
    .find((b) => b.name === "staging")!;
  gw.telegram.noteUpdate(staging.token, telegramMessage({ fromId: tg, text: "/start" }));
  try {
    const res = await postNotify(gw, { user_id: user.id, text: "From staging", bot: "staging" });
    assertEquals(res.status, 202);
    await drainNow(gw);
    const rows = await deliveriesOf(user.id);
    assertEquals(rows.map((r) => [r.provider, r.status, r.last_error]).sort(), [
      ["discord", "skipped", "not sent: the app has no Discord bot named 'staging'"],
      ["telegram", "sent", null],
    ]);
    // Sent by the staging bot (its token), though the user started the default bot too.
    const sends = gw.telegram.sent.filter((c) =>
      c.method === "sendMessage" && c.params.text === "From staging"
    );
    assertEquals(sends.map((c) => c.token), [staging.token]);
  } finally {
    await gw.close();
  }
});

Deno.test(
  "two gateway instances draining at once send each message once",
  integration,
  async () => {
    const a = await startGateway();
    const b = await startGateway({ env: a.env }); // the same sinks: one Discord for both
    const users: { id: string; dc: string }[] = [];
    // A Discord that takes 20 ms per call: one instance's batch is still sending when the other
    // claims, so both drains overlap however busy the machine is.
    a.discord.setLatency(20);
    try {
      // More accounts than one instance holds in flight (BATCHES_IN_FLIGHT claims of BATCH), so
      // both instances get rows.
      for (let i = 0; i < BATCH * BATCHES_IN_FLIGHT + 30; i++) {
        const user = await newUser();
        users.push({ id: user.id, dc: await linkAccount(user.id, "discord") });
      }
      const texts: string[] = [];
      await psql(
        users.map(({ id }, i) =>
          [1].map((n) => {
            texts.push(`two instances ${i}.${n}`);
            return `select public.gateway_notify('${id}', 'two instances ${i}.${n}');`;
          }).join("\n")
        ).join("\n"),
      );
      const drained: DrainData[] = [];
      for (let round = 0; round < 6; round++) {
        const first = drainNow(a);
        // The second instance starts once the first is sending what it claimed (in the first
        // round), so the two drains overlap on any machine.
        if (round === 0) {
          await a.discord.waitFor(
            (c) => c.method === "POST" && c.path.endsWith("/messages"),
            10_000,
          );
        }
        drained.push(...await Promise.all([first, drainNow(b)]));
        const pending = await psql(
          `select count(*) from public.notification_deliveries where status = 'pending'
           and user_id in (${users.map((u) => `'${u.id}'`).join(",")})`,
        );
        if (pending === "0") break;
      }
      const sent = users.flatMap(({ dc }) => a.discord.directMessages(dc))
        .map((m) => String(m.content));
      assertEquals(sent.sort(), texts.sort(), "each once");
      const by = (odd: number) =>
        drained.filter((_, i) => i % 2 === odd).reduce((n, d) => n + d.sent, 0);
      console.log(`instance a sent ${by(0)}, b sent ${by(1)}`);
      assert(by(0) > 0 && by(1) > 0, "both instances sent some");
    } finally {
      await b.close();
      await a.close();
    }
  },
);

Deno.test("/notifications off and on, as the calling account", integration, async () => {
  const gw = await startGateway();
  const { user, tg } = await telegramUser(gw);
  try {
    const say = async (text: string) => {
      await postUpdate(gw, telegramMessage({ fromId: tg, text }));
      return sentTexts(gw, tg).at(-1)!;
    };
    assertMatch(await say("/notifications"), /are on\. Send \/notifications off/);
    assertMatch(await say("/notifications off"), /are now off/);
    assertEquals(
      await psql(`select notify from public.chat_identities where external_id = '${tg}'`),
      "f",
    );
    await postNotify(gw, { user_id: user.id, text: "Quiet please" });
    await drainNow(gw);
    assertEquals(sentTexts(gw, tg).includes("Quiet please"), false);
    assertMatch(await say("/notifications on"), /are now on/);
    await postNotify(gw, { user_id: user.id, text: "Hello again" });
    await drainNow(gw);
    assertEquals(sentTexts(gw, tg).at(-1), "Hello again");
    assertEquals((await deliveriesOf(user.id)).map((r) => r.status), ["skipped", "sent"]);
  } finally {
    await gw.close();
  }
});

Deno.test("/notifications off stops what is already queued", integration, async () => {
  const gw = await startGateway();
  const { user, tg } = await telegramUser(gw);
  const queued = () =>
    telegramCallsTo(gw, tg).filter((c) => String(c.params.text).startsWith("queued"));
  try {
    // The first send meets a 429 and waits for its retry; seven more wait their turn.
    gw.telegram.failNext("sendMessage", { status: 429, retryAfter: 30 });
    assertEquals((await postNotify(gw, { user_id: user.id, text: "queued 0" })).status, 202);
    await gw.handler.core.drain(); // the drain /notify started: it met the 429
    await psql(
      Array.from(
        { length: 7 },
        (_, i) => `select public.gateway_notify('${user.id}', 'queued ${i + 1}');`,
      ).join("\n"),
    );
    await postUpdate(gw, telegramMessage({ fromId: tg, text: "/notifications off" }));
    assertMatch(sentTexts(gw, tg).at(-1)!, /are now off/);
    // The retry's time comes (here at once); nothing queued is sent any more.
    await psql(
      `update public.notification_deliveries set next_attempt_at = now()
       where user_id = '${user.id}' and status = 'pending'`,
    );
    await drainNow(gw);
    assertEquals(queued().map((c) => c.status), [429]);
    assertEquals(
      (await deliveriesOf(user.id)).map((r) => [r.status, r.last_error]),
      Array(8).fill(["skipped", "not sent: notifications are off for this account"]),
    );
  } finally {
    await settleDeliveries(user.id);
    await gw.close();
  }
});

Deno.test(
  "a database that does not answer: 504 in the words of the route",
  integration,
  async () => {
    // PostgREST's connection drops mid-call (not refused): the outcome is unknown, a 504.
    let hang = false;
    const gw = await startGateway({
      wrapFetch: (fetch) => (input, init) => {
        const url = String(input instanceof Request ? input.url : input);
        if (hang && /\/rpc\/gateway_(notify|claim_notifications)$/.test(url)) {
          return Promise.reject(new TypeError("error sending request: connection closed"));
        }
        return fetch(input, init);
      },
    });
    const user = await newUser();
    try {
      hang = true;
      const withKey = await postNotify(gw, { user_id: user.id, text: "x", key: "order-9" });
      const bare = await postNotify(gw, { user_id: user.id, text: "x" });
      const drain = await gw.request("/notify/drain", {
        method: "POST",
        headers: { authorization: `Bearer ${gw.env.SUPABASE_SERVICE_ROLE_KEY}` },
      });
      const drained = await drain.json();
      const messages = [withKey.body, bare.body, drained].map((b) =>
        (b.error as { message: string }).message
      );
      assertEquals([withKey.status, bare.status, drain.status], [504, 504, 504]);
      for (const message of messages) assert(!/Idempotency-Key/.test(message), message);
      assertMatch(messages[0], /Retry with the same key/);
      assertMatch(messages[1], /send a key to make retries safe/);
      assertMatch(messages[2], /Drain again later/);
    } finally {
      hang = false;
      await gw.close();
    }
  },
);
