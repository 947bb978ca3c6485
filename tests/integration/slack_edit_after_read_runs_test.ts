/**
 * Outside attack (attack6): "an edited mention runs only if that message never ran" holds only
 * in the process that took the message (its 10-minute memory): a read or a refusal leaves nothing
 * in the ledger, so the edit reaching another instance (or the same one after 10 minutes) runs as
 * a new command. "@Acme ad Buy milk" (unknown word, answered) edited to "@Acme add Buy milk" adds
 * the task on instance B, while on instance A the same edit is dropped silently.
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
  "slack events: an edit of a mention that ran (a refusal) runs on another instance",
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
      assertEquals(
        [onB.status, onA.status, await taskCount(user.id)],
        [200, 200, 0],
        "an edit of a message that already ran (and was answered) ran as a new command",
      );
    } finally {
      await a.close();
      await b.close();
    }
  },
);
