/**
 * Mentions of others written before the app's own ("@Beta @Acme tasks", two apps side by side;
 * "@bob @Acme tasks") are not the command word: the command comes first. User groups keep which
 * group they name. Both found by an outside attack.
 */
import { assertEquals } from "../assert.ts";
import { typedText, withoutMention } from "../../adapters/slack/event.ts";

Deno.test("slack events: another mention before the app's leaves the command first", () => {
  const read = (text: string, bot: string) => typedText(withoutMention(text, bot)).trim();
  assertEquals(read("<@U0BETA> <@U0ACME> tasks", "U0ACME").split(/\s+/)[0], "tasks");
  assertEquals(read("<@U0ACME> <@U0BETA> tasks", "U0BETA").split(/\s+/)[0], "tasks");
});

/** Slack writes a user group mention as `<!subteam^S0DEVS>`: read back by its id. */
Deno.test("slack events: user group mentions without a label keep which group they name", () => {
  const read = typedText("add ping <!subteam^S0DEVS> and <!subteam^S0OPS>");
  assertEquals(read.includes("@subteam and @subteam"), false, read);
});
