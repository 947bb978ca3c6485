/**
 * An edited mention is a new event for the same message, and runs the same wherever it lands:
 * "@Acme ad Buy milk" (an unknown word, answered) edited to "@Acme add Buy milk" adds the task once,
 * whether the edit reaches the instance that answered the typo or another, and is answered once.
 * (An outside attack found it run on one instance and dropped silently on the other, when each
 * process's memory was keyed by the message.)
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
import { eventFor, newEventId, resend, sendEvent } from "../slack_event_fixtures.ts";

Deno.test(
  "slack events: an edit of a refused mention runs once, whichever instance it reaches",
  integration,
  async () => {
    const a = await startGateway();
    const b = await startGateway();
    try {
      const user = await newUser();
      const caller = slackUser();
      await sendEvent(a, caller, `link ${await linkCodeFor(await tokenFor(user))}`);
      const first = eventFor(a, caller, "ad Buy milk", { where: "mention" });
      const original = await resend(a, first);
      assertEquals(original.ephemeral.length, 1, "the typo was not answered");
      const parsed = JSON.parse(first.body);
      parsed.event_id = newEventId();
      parsed.event.text = parsed.event.text.replace("ad Buy", "add Buy");
      parsed.event.edited = { user: caller.user, ts: `${Math.floor(Date.now() / 1000)}.000000` };
      const edit = { ...first, eventId: parsed.event_id, body: JSON.stringify(parsed) };
      const onB = await resend(b, edit, {}, b);
      const onA = await resend(a, edit);
      assertEquals([onB.status, onA.status, await taskCount(user.id)], [200, 200, 1]);
      // The instance that did not run it replays the message's write, silently (B's sink does not
      // know A's channel, so what B posted is not counted here).
      assertEquals(onA.ephemeral.length + onA.posted.length, 0);
    } finally {
      await a.close();
      await b.close();
    }
  },
);
