/**
 * Building buttons: `action()` throws on a bad button (a bug a test meets, for buttons built from
 * constants); `actionOrNull()` (buttons built from data) returns null instead and says why,
 * without the values or the label.
 */
import { z } from "zod";
import { assertEquals, assertMatch, assertThrows } from "../assert.ts";
import { action, actionOrNull, utf8Length } from "../../supabase/functions/_shared/actions.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { done, tasks } from "../../supabase/functions/gateway/commands/tasks.ts";

const note = defineCommand({
  name: "note",
  description: "Test-only command with a string argument",
  args: z.object({ text: z.string().max(10) }),
  requires: "user",
  run: () => Promise.resolve({ text: "" }),
});

/** Buttons that cannot be built, and what is wrong with each. */
const BAD: [string, () => Parameters<typeof action>][] = [
  ["an id of 0", () => [done, { id: 0 }, "Done #0"]],
  ["an id past the safe integers", () => [done, { id: 2 ** 53 }, "Done"]],
  ["a page past the schema's last", () => [tasks, { page: 10_001 }, "More"]],
  ["a private note too long", () => [note, { text: "secret words" }, "secret words"]],
  ["an empty label", () => [done, { id: 1 }, " "]],
  ["a follow-on that writes", () => [done, { id: 1 }, "Done", { then: [done, { id: 2 }] }]],
  [
    "a token over 64 bytes",
    () => [done, { id: 2 ** 52 }, "Done", { then: [tasks, { page: 9999 }] }],
  ],
];

Deno.test("action(): a bad button throws, naming the button", async (t) => {
  for (const [what, make] of BAD) {
    await t.step(what, () => {
      const [command, args, label, options] = make();
      const err = assertThrows(() => action(command, args, label, options));
      assertMatch(err.message, new RegExp(`^Action "${label.replace(/[#\s]/g, ".")}": `));
    });
  }
});

Deno.test("actionOrNull(): null and one reason per bad button, no values in it", async (t) => {
  for (const [what, make] of BAD) {
    await t.step(what, () => {
      const [command, args, label, options] = make();
      const reasons: string[] = [];
      const got = actionOrNull(command, args, label, {
        ...options,
        skipped: (r) => reasons.push(r),
      });
      assertEquals(got, null);
      assertEquals(reasons.length, 1);
      assertMatch(reasons[0], /^(arguments for \/\w+|only a read-only|the label|\/done takes)/);
      const texts = Object.values(args).filter((v): v is string => typeof v === "string");
      for (const value of [label.trim(), ...texts].filter(Boolean)) {
        assertEquals(reasons[0].includes(value), false, `"${value}" in ${reasons[0]}`);
      }
    });
  }
});

Deno.test("actionOrNull(): a good button is the same as action()'s, nothing said", () => {
  const reasons: string[] = [];
  const options = { then: [tasks, { page: 2 }] as [typeof tasks, { page: number }] };
  assertEquals(
    actionOrNull(done, { id: 7 }, "Done #7", { ...options, skipped: (r) => reasons.push(r) }),
    action(done, { id: 7 }, "Done #7", options),
  );
  assertEquals(actionOrNull(tasks, { page: 10_000 }, "More")?.args, { page: 10_000 });
  assertEquals(reasons, []);
});

Deno.test("utf8Length(): TextEncoder's byte count, lone surrogates as U+FFFD", () => {
  const encoder = new TextEncoder();
  const units = [0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xffff];
  const samples = ["", 'done:{"id":1}', "é", "€", "😀", "a😀b", "\ud800", "\udc00\ud800", "日本語"];
  // Every string of up to three of these units: pairs, lone halves, and each boundary.
  for (const a of units) {
    for (const b of units) {
      for (const c of units) samples.push(String.fromCharCode(a, b, c), String.fromCharCode(a, b));
    }
  }
  for (const text of samples) {
    assertEquals(utf8Length(text), encoder.encode(text).length, JSON.stringify(text));
  }
});
