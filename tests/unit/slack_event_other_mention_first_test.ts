/**
 * Outside attack (attack6), low: mentions of others written before the app's own ("@Beta @Acme
 * tasks", two apps side by side; "@bob @Acme tasks") are kept as the command word: `@UBETA` is
 * read as the command and the person gets "Unknown command" from each app mentioned.
 */
import { assertEquals } from "../assert.ts";
import { typedText, withoutMention } from "../../adapters/slack/event.ts";

Deno.test("slack events: another mention before the app's leaves the command first", () => {
  const read = (text: string, bot: string) => typedText(withoutMention(text, bot)).trim();
  assertEquals(read("<@U0BETA> <@U0ACME> tasks", "U0ACME").split(/\s+/)[0], "tasks");
  assertEquals(read("<@U0ACME> <@U0BETA> tasks", "U0BETA").split(/\s+/)[0], "tasks");
});
