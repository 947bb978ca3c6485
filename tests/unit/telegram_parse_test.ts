/** Telegram text parsing and reply formatting: pure functions, no server. */
import { z } from "zod";
import { assert, assertEquals } from "../assert.ts";
import { commandText, textArgs, usage } from "../../adapters/telegram/parse.ts";
import { escapeHtml, telegramMessages, unescapeHtml } from "../../adapters/telegram/format.ts";
import { telegramCommandMenu } from "../../adapters/telegram/setup.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { parseArgs } from "../../supabase/functions/_shared/args.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";

const add = commands.find((c) => c.name === "add")!;
const done = commands.find((c) => c.name === "done")!;

Deno.test("commandText: this bot, other bots, plain text", () => {
  assertEquals(commandText("/add Buy milk", "MyBot"), {
    name: "add",
    rest: "Buy milk",
    mentioned: false,
  });
  assertEquals(commandText("/add@mybot  Buy milk ", "MyBot"), {
    name: "add",
    rest: "Buy milk",
    mentioned: true,
  });
  assertEquals(commandText("/add@OtherBot x", "MyBot"), "other-bot");
  assertEquals(commandText("/TASKS", "MyBot"), { name: "tasks", rest: "", mentioned: false });
  assertEquals(commandText("hello /add", "MyBot"), null);
  assertEquals(commandText("/add\nline two", "MyBot"), {
    name: "add",
    rest: "line two",
    mentioned: false,
  });
});

Deno.test("textArgs: the last string takes the rest; numbers are coerced", () => {
  assertEquals(textArgs(add, "Buy milk and eggs"), {
    args: { title: "Buy milk and eggs" },
    extra: "",
  });
  assertEquals(textArgs(done, "#12"), { args: { id: 12 }, extra: "" });
  assertEquals(textArgs(done, "12 13"), { args: { id: 12 }, extra: "13" });
  assertEquals(textArgs(done, "soon"), { args: { id: "soon" }, extra: "" });
  assertEquals(parseArgs(done, textArgs(done, "7").args), { id: 7 });
  const mixed = defineCommand({
    name: "remind",
    description: "x",
    args: z.object({ minutes: z.number().int(), loud: z.boolean(), text: z.string() }),
    requires: "none",
    run: () => Promise.resolve(reply.text("")),
  });
  assertEquals(textArgs(mixed, "5 yes call the bank").args, {
    minutes: 5,
    loud: true,
    text: "call the bank",
  });
  assertEquals(usage(mixed), "/remind <minutes> <loud> <text>");
});

Deno.test("format: HTML escaping and the 4096 limit after escaping", () => {
  assertEquals(escapeHtml("<b>&</b>"), "&lt;b&gt;&amp;&lt;/b&gt;");
  const text = "<&>".repeat(3000); // 9000 characters, 45000 once escaped
  const parts = telegramMessages(text);
  for (const p of parts) assert(p.length <= 4096, `part of ${p.length}`);
  assertEquals(
    unescapeHtml(parts.join("")),
    text,
  );
  const emoji = "😀".repeat(5000);
  for (const p of telegramMessages(emoji)) {
    assert(!/[\uD800-\uDBFF]$/.test(p), "a surrogate pair was split");
  }
});

Deno.test("command menu: Telegram names, hidden and HTTPS-only commands left out", () => {
  const menu = telegramCommandMenu(commands);
  const names = menu.map((c) => c.command);
  assert(names.includes("add") && names.includes("done") && names.includes("link"));
  assert(!names.includes("start"), "hidden /start listed");
  assert(!names.some((n) => n.includes("link_code") || n.includes("-")), "invalid name listed");
  for (const c of menu) assert(/^[a-z0-9_]{1,32}$/.test(c.command) && c.description.length <= 256);
});
