/**
 * A message edited to mention the app: Slack sends its first `app_mention` then, with `edited` and
 * the message's own ts. It runs, since that message never ran; an edit of a mention that did run
 * is a repeat of the message's key (slack_events_repeats_test.ts). An outside attack found such
 * edits dropped when every `edited` mention was ignored.
 */
import { assertEquals } from "../assert.ts";
import {
  integration,
  linkCodeFor,
  newUser,
  startGateway,
  taskCount,
  tokenFor,
} from "../fixtures.ts";
import { slackUser } from "../slack_fixtures.ts";
import { sendEvent } from "../slack_event_fixtures.ts";

Deno.test(
  "slack events: a message edited to mention the app (its first app_mention) is answered",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      const user = await newUser();
      const caller = slackUser();
      await sendEvent(gw, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
      const edit = { user: caller.user, ts: `${Math.floor(Date.now() / 1000)}.000000` };
      const r = await sendEvent(gw, caller, "add Buy milk", {
        where: "mention",
        event: { edited: edit },
      });
      assertEquals(r.status, 200);
      assertEquals(
        [r.ephemeral.length + r.posted.length, await taskCount(user.id)],
        [1, 1],
        "the first mention of a message (written by an edit) was dropped silently",
      );
    } finally {
      await gw.close();
    }
  },
);
