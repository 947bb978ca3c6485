/**
 * Outside attack (attack5): every `app_mention` with `edited` is ignored, on the ground that "the
 * command ran when it was written" (docs/slack.md, Ignored). That holds only when the message
 * mentioned the app before the edit. A person who writes "add Buy milk" in a channel, sees nothing
 * happen, and edits the message to "@Acme add Buy milk" makes Slack send an `app_mention` for the
 * first time for that message (with `edited`, the message's own ts): it is dropped, nothing runs
 * and nothing is said. Since the delivery is now keyed by the message (channel + ts), an edit of a
 * mention that already ran is a repeat of its key anyway; a message never seen before is not.
 * Expected: a mention seen for the first time runs (or at least the person is told something).
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
