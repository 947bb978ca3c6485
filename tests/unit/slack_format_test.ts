/**
 * Slack replies: text in plain-text sections within Slack's 3,000 characters each, at most ten of
 * them (then a note of what was cut), the notification text escaped, buttons carrying their signed
 * call with Slack's styles; and the Slack sink, which refuses what Slack refuses, takes every
 * message the gateway renders at the limits.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { action, rows } from "../../supabase/functions/_shared/actions.ts";
import { createActionCodec } from "../../supabase/functions/_shared/action_tokens.ts";
import { done, tasks } from "../../supabase/functions/gateway/commands/tasks.ts";
import {
  blockOwner,
  escapeSlack,
  MAX_SECTIONS,
  SECTION_TEXT_LIMIT,
  slackMessage,
} from "../../adapters/slack/format.ts";
import { blockErrors, checkMessage } from "../../dev/sinks/slack_blocks.ts";
import { buttons, shownText } from "../slack_fixtures.ts";

const codec = createActionCodec({ keys: ["service-key"], scope: "slack:default" });

Deno.test("slack format: plain text, escaped notification text, no markup", () => {
  const message = slackMessage("Buy <milk> & *eggs* <@U123>");
  assertEquals(message.text, "Buy &lt;milk&gt; &amp; *eggs* &lt;@U123&gt;");
  assertEquals(message.blocks, [{
    type: "section",
    text: { type: "plain_text", text: "Buy <milk> & *eggs* <@U123>" },
  }]);
  assertEquals(escapeSlack("a&b"), "a&amp;b");
  assertEquals(shownText(slackMessage("")), "Done.");
  checkMessage({ ...message });
});

Deno.test("slack format: long text in sections, at most ten, the rest said to be cut", () => {
  const lines = Array.from({ length: 2000 }, (_, i) => `• #${i} ${"word ".repeat(5)}`);
  const message = slackMessage(lines.join("\n"));
  const sections = message.blocks!.filter((b) => b.type === "section");
  assertEquals(sections.length, MAX_SECTIONS);
  for (const s of sections) {
    assert((s as { text: { text: string } }).text.text.length <= SECTION_TEXT_LIMIT);
  }
  assertMatch(shownText(message), /… and \d+ more lines not shown$/);
  checkMessage({ ...message });
});

Deno.test("slack format: buttons carry their signed call, made for their user", () => {
  const actions = rows(
    Array.from(
      { length: 25 },
      (_, i) =>
        action(done, { id: 1_000_000 + i }, `Done #${1_000_000 + i}`, {
          then: [tasks, { page: 1 }],
        }),
    ),
  );
  actions.push([action(tasks, { page: 2 }, "More", { style: "primary" })]);
  const message = slackMessage("List", { actions: actions.slice(0, 5), codec, owner: "U0ALICE" });
  assertEquals(blockErrors(message.blocks), []);
  const shown = buttons(message);
  assertEquals(shown.length, 25);
  assertEquals(codec.decode(shown[0].value), {
    command: "done",
    args: { id: 1_000_000 },
    then: { command: "tasks", args: { page: 1 } },
  });
  assertEquals(blockOwner(shown[0].blockId), "U0ALICE");
  assertEquals(blockOwner("r0."), undefined);
  assertEquals(blockOwner("someone-else's block"), undefined);
  const more = slackMessage("x", { actions: [actions[5]], codec, owner: "U0ALICE" });
  assertEquals(
    (more.blocks![1] as { elements: { style?: string }[] }).elements[0].style,
    "primary",
  );
});

Deno.test("slack sink: refuses what Slack refuses", () => {
  const refused = (body: Record<string, unknown>) => {
    try {
      checkMessage(body);
    } catch (err) {
      return (err as { error: string }).error;
    }
    return "accepted";
  };
  assertEquals(refused({}), "no_text");
  assertEquals(refused({ text: "   " }), "no_text");
  assertEquals(refused({ text: "x".repeat(40_001) }), "msg_too_long");
  const section = (text: string) => ({ type: "section", text: { type: "plain_text", text } });
  assertEquals(refused({ blocks: [section("x".repeat(3001))] }), "invalid_blocks");
  assertEquals(
    refused({ blocks: Array.from({ length: 51 }, () => section("x")) }),
    "invalid_blocks",
  );
  const button = (extra: Record<string, unknown>) => ({
    type: "actions",
    elements: [{ type: "button", text: { type: "plain_text", text: "b" }, ...extra }],
  });
  assertEquals(refused({ blocks: [button({ value: "v".repeat(2001) })] }), "invalid_blocks");
  assertEquals(refused({ blocks: [button({ action_id: "a".repeat(256) })] }), "invalid_blocks");
  assertEquals(refused({ blocks: [button({ style: "success" })] }), "invalid_blocks");
  assertEquals(
    refused({ blocks: [{ ...button({}), block_id: "x" }, { ...button({}), block_id: "x" }] }),
    "invalid_blocks",
  );
  assertEquals(refused({ blocks: [{ type: "actions", elements: [] }] }), "invalid_blocks");
  assertEquals(refused({ blocks: [button({ value: "v".repeat(2000) })] }), "accepted");
});
