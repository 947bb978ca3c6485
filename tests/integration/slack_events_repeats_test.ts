/**
 * Slack events that come again or come differently, from an outside attack on the Events API
 * (each test failed before its fix): retries of refusals and reads, one message as two events, an
 * edited mention, a claim a dead instance left, a mention after the command, a thread reply also
 * sent to the conversation. The same fixtures as slack_events_test.ts (a real
 * stack, real v0 signatures, the Slack sink).
 */
import { assertEquals, assertMatch } from "../assert.ts";
import {
  integration,
  linkCodeFor,
  newUser,
  psql,
  startGateway,
  taskCount,
  tokenFor,
} from "../fixtures.ts";
import { shownText, slackUser } from "../slack_fixtures.ts";
import {
  eventFor,
  newEventId,
  resend,
  sendEvent,
  SLACK_BOT_USER,
} from "../slack_event_fixtures.ts";

const retry = { headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" } };

Deno.test(
  "slack events: a retried event whose answer was a refusal (unknown word, not linked, bad arguments) posts nothing more",
  integration,
  async (t) => {
    const gw = await startGateway();
    try {
      const user = await newUser();
      const linked = slackUser();
      await sendEvent(gw, linked, `link ${await linkCodeFor(await tokenFor(user))}`);
      const unlinked = slackUser();
      // docs/slack.md, Retries: "a retry that reaches this or another gateway instance runs no
      // write twice and posts nothing more".
      const cases: [string, typeof linked, string, "dm" | "mention"][] = [
        ["an unknown word in the DM", linked, "frobnicate", "dm"],
        ["an unknown word in a mention", linked, "frobnicate", "mention"],
        ["an unlinked account in the DM", unlinked, "tasks", "dm"],
        ["bad arguments in the DM", linked, "done soon", "dm"],
        ["a missing argument in a mention", linked, "add", "mention"],
      ];
      for (const [name, caller, text, where] of cases) {
        await t.step(name, async () => {
          const written = eventFor(gw, caller, text, { where });
          const first = await resend(gw, written);
          assertEquals(first.posted.length + first.ephemeral.length, 1);
          const again = await resend(gw, written, retry);
          assertEquals(
            [again.status, again.posted.length + again.ephemeral.length],
            [200, 0],
            `Slack's retry of "${text}" posted the refusal a second time`,
          );
        });
      }
    } finally {
      await gw.close();
    }
  },
);

Deno.test(
  "slack events: a read delivered twice at once on one instance is answered once",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      const user = await newUser();
      const caller = slackUser();
      await sendEvent(gw, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
      await gw.handler.core.drain();
      // Slack retries when its 3 s pass without a 2xx (a cold start, a lost acknowledgement): the
      // retry can reach the instance while the first delivery still runs. docs/slack.md: "a retry
      // on the same instance is silent".
      const written = eventFor(gw, caller, "tasks");
      const before = gw.slack.messages.length;
      await Promise.all([resend(gw, written), resend(gw, written, retry)]);
      await gw.handler.core.drain();
      const answers = gw.slack.messages.slice(before).filter((m) => m.channel === written.channel);
      assertEquals(answers.length, 1, "the same event_id was answered more than once");
    } finally {
      await gw.close();
    }
  },
);

Deno.test(
  "slack events: the same DM message as message.im and app_mention runs the write once",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      const user = await newUser();
      const caller = slackUser();
      await sendEvent(gw, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
      // "@Acme add Buy milk" written in the app's DM. Slack may deliver it both as message.im and
      // as app_mention (two event_ids, the same channel and ts); the manifest subscribes to both.
      const asDm = eventFor(gw, caller, `<@${SLACK_BOT_USER}> add Buy milk once`);
      const parsed = JSON.parse(asDm.body);
      parsed.event_id = newEventId();
      parsed.event.type = "app_mention";
      const asMention = { ...asDm, eventId: parsed.event_id, body: JSON.stringify(parsed) };
      const a = await resend(gw, asDm);
      const b = await resend(gw, asMention);
      assertEquals([a.status, b.status], [200, 200]);
      assertEquals(await taskCount(user.id), 1, "one message (channel + ts) added two tasks");
    } finally {
      await gw.close();
    }
  },
);

Deno.test(
  "slack events: a mention of the app after the command (tasks @app) is not an argument",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      const user = await newUser();
      const caller = slackUser();
      await sendEvent(gw, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
      await sendEvent(gw, caller, "add Visible task");
      // app_mention fires wherever the app is mentioned; "tasks @Acme" is a natural way to write
      // it. The answer is "The page number must be a whole number".
      const r = await sendEvent(gw, caller, `tasks <@${SLACK_BOT_USER}>`, { where: "mention" });
      assertMatch(shownText(r.ephemeral[0]), /Visible task/);
    } finally {
      await gw.close();
    }
  },
);

Deno.test(
  "slack events: a command in a DM thread also sent to the conversation (thread_broadcast) is answered",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      const user = await newUser();
      const caller = slackUser();
      await sendEvent(gw, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
      // The person typed it ("Also send to direct message" ticked): Slack marks it
      // subtype thread_broadcast. It is silently dropped: no answer, nothing run.
      const threadTs = (await sendEvent(gw, caller, "whoami")).ts;
      const r = await sendEvent(gw, caller, "add From a thread", {
        threadTs,
        event: { subtype: "thread_broadcast" },
      });
      assertEquals(r.status, 200);
      assertEquals(r.posted.length, 1, "no answer to a message the person typed");
      assertEquals(await taskCount(user.id), 1);
    } finally {
      await gw.close();
    }
  },
);

Deno.test(
  "slack events: a retry meeting the claim of a gateway that died is a 503 (Slack sends it again), or on the last try answered",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      const user = await newUser();
      const caller = slackUser();
      await sendEvent(gw, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
      const written = eventFor(gw, caller, "add Not lost");
      // What an instance killed mid-command leaves (docs/pipeline.md): a pending claim with its
      // 12 s lease. Slack's first retry comes within seconds, inside that lease.
      await psql(
        `insert into gateway_private.deliveries(key, state, lease_until)
         values ('sl:A0TEST:msg:${written.channel}:${written.ts}', 'pending',
                 now() + interval '12 seconds')`,
      );
      for (const n of ["1", "2", "3"]) {
        const r = await resend(gw, written, { headers: { "x-slack-retry-num": n } });
        // Expected: 503 while another instance holds the claim (as Telegram's webhook answers),
        // so Slack sends it again after the lease; on the last try at least an answer.
        const answered = r.posted.length + r.ephemeral.length;
        assertEquals(
          r.status !== 200 || answered > 0,
          true,
          `retry ${n}: 200 and nothing posted; Slack will not send it again`,
        );
      }
    } finally {
      await gw.close();
    }
  },
);

Deno.test(
  "slack events: an edited mention (app_mention again, with edited) runs nothing and answers nothing",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      const user = await newUser();
      const caller = slackUser();
      await sendEvent(gw, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
      // "@Acme add Buy milk" in a channel, then the person fixes a typo. Slack sends a new
      // app_mention for the edited message: a new event_id, the same ts, an `edited` field and no
      // subtype (slackapi/bolt-js#960, slack-go/slack#1256, inkeep/agents#2284). docs/slack.md:
      // "an edit ... 200, nothing run".
      const first = eventFor(gw, caller, "add Buy milk", { where: "mention" });
      const original = await resend(gw, first);
      assertEquals(original.ephemeral.length, 1);
      const parsed = JSON.parse(first.body);
      parsed.event_id = newEventId();
      parsed.event.text = parsed.event.text + "!";
      parsed.event.edited = { user: caller.user, ts: `${Math.floor(Date.now() / 1000)}.000000` };
      const edited = await resend(gw, {
        ...first,
        eventId: parsed.event_id,
        body: JSON.stringify(parsed),
      });
      assertEquals(edited.status, 200);
      assertEquals(await taskCount(user.id), 1, "the edit of a mention added a second task");
      assertEquals(edited.ephemeral.length + edited.posted.length, 0, "the edit was answered");
    } finally {
      await gw.close();
    }
  },
);
