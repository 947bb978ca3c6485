/**
 * Notifications to a linked Slack account: a direct message from the app's bot (the Slack sink's
 * `conversations.open` and `chat.postMessage`), its button signed for that app and run as
 * whoever presses it, and Slack's refusals recorded in the words the user reads.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { integration, newUser, startGateway, tokenFor, webClient } from "../fixtures.ts";
import {
  buttons,
  pressBody,
  responseUrlFor,
  shownText,
  signedSlackRequest,
  type SlackCaller,
} from "../slack_fixtures.ts";
import { LOCAL_SLACK_TEAM } from "../../dev/channel_secrets.ts";
import { deliveriesOf, drainNow, linkAccount, postNotify } from "../support/notify.ts";

/** A fresh user of the sink's workspace (where the app's bot is installed). */
function workspaceUser(): SlackCaller {
  const id = crypto.getRandomValues(new Uint8Array(8));
  return {
    team: LOCAL_SLACK_TEAM,
    user: `U${Array.from(id, (b) => "ABCDEFGH23456789"[b % 16]).join("")}`,
  };
}

Deno.test(
  "a notification reaches a linked Slack account; its button runs as the presser",
  integration,
  async (t) => {
    const gw = await startGateway();
    const [alice, bob] = [await newUser(), await newUser()];
    const [aliceSlack, bobSlack] = [workspaceUser(), workspaceUser()];
    await linkAccount(alice.id, "slack", `${aliceSlack.team}:${aliceSlack.user}`);
    await linkAccount(bob.id, "slack", `${bobSlack.team}:${bobSlack.user}`);
    const { data: task } = await webClient(await tokenFor(alice)).from("tasks")
      .insert({ title: "Ship it" }).select("id").single();
    try {
      let value = "";
      await t.step("a direct message with the text and the button", async () => {
        const res = await postNotify(gw, {
          user_id: alice.id,
          text: "Your order shipped",
          actions: [[{ label: "Done", command: "done", args: { id: task!.id } }]],
        });
        assertEquals(res.status, 202);
        const drained = await drainNow(gw);
        assertEquals(drained.sent, 1);
        const dm = gw.slack.messages.find((m) => shownText(m).includes("Your order shipped"))!;
        assertEquals(dm.channel, `D${aliceSlack.user}`);
        const [button] = buttons(dm);
        assertEquals(button.label, "Done");
        value = button.value;
        const [row] = await deliveriesOf(alice.id);
        assertEquals([row.provider, row.status, row.last_error], ["slack", "sent", null]);
      });

      await t.step(
        "pressed by someone else, it runs as them (their rights, privately)",
        async () => {
          const url = responseUrlFor(gw, bobSlack, {
            text: "Your order shipped",
            ephemeral: false,
          });
          const res = await gw.handler(
            signedSlackRequest(
              gw.env.SLACK_SIGNING_SECRET,
              pressBody(bobSlack, { value }, url, { ephemeral: false }),
            ),
          );
          assertEquals(res.status, 200);
          await res.body?.cancel();
          await gw.handler.core.drain();
          const answer = gw.slack.response(url)!.posted.at(-1)!;
          assertMatch(shownText(answer), /You have no task #\d+/);
          const { data } = await webClient(await tokenFor(alice)).from("tasks").select("done")
            .eq("id", task!.id).single();
          assertEquals(data!.done, false, "bob's press did not touch alice's task");
        },
      );

      await t.step("pressed by its recipient, it runs as them", async () => {
        const url = responseUrlFor(gw, aliceSlack, {
          text: "Your order shipped",
          ephemeral: false,
        });
        const res = await gw.handler(
          signedSlackRequest(
            gw.env.SLACK_SIGNING_SECRET,
            pressBody(aliceSlack, { value }, url, { ephemeral: false }),
          ),
        );
        assertEquals(res.status, 200);
        await res.body?.cancel();
        await gw.handler.core.drain();
        const { data } = await webClient(await tokenFor(alice)).from("tasks").select("done")
          .eq("id", task!.id).single();
        assertEquals(data!.done, true);
      });

      await t.step("an account Slack does not know: failed, in words the user reads", async () => {
        gw.slack.removeUser(bobSlack.user);
        assertEquals((await postNotify(gw, { user_id: bob.id, text: "Hello" })).status, 202);
        await drainNow(gw);
        const [row] = await deliveriesOf(bob.id);
        assertEquals(row.status, "failed");
        assertMatch(row.last_error!, /^not sent: Slack has no such account/);
        assert(!gw.slack.messages.some((m) => shownText(m) === "Hello"));
      });
    } finally {
      await gw.close();
    }
  },
);
