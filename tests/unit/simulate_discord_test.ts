/**
 * The simulator reads a Discord command line as Discord's client does: `name:value` options
 * (values run to the next option), typed from the registered commands. A registry made here, so
 * the demo's commands can change freely.
 */
import { z } from "zod";
import assert from "node:assert/strict";
import { discordCommandLine } from "../../dev/simulate_discord.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";

const run = () => Promise.resolve(reply.text("ok"));
const registry = [
  defineCommand({
    name: "link",
    description: "Link",
    args: z.object({ code: z.string().min(4).describe("The code") }),
    requires: "none",
    run,
  }),
  defineCommand({
    name: "note",
    description: "Note",
    args: z.object({
      title: z.string().describe("Title"),
      count: z.int().min(1).optional(),
      weight: z.number().optional(),
      loud: z.boolean().optional(),
    }),
    requires: "none",
    run,
  }),
  defineCommand({ name: "tasks", description: "Tasks", args: z.object({}), requires: "none", run }),
];

Deno.test("simulate discord: Discord's command line", async (t) => {
  await t.step("code:XYZ, with or without the slash", () => {
    const want = { name: "link", options: [{ name: "code", type: 3, value: "ABCD-2345" }] };
    assert.deepEqual(discordCommandLine("/link code:ABCD-2345", registry), want);
    assert.deepEqual(discordCommandLine("link code:ABCD-2345", registry), want);
    assert.deepEqual(discordCommandLine("link code=ABCD-2345", registry), want, "name=value too");
  });
  await t.step("values run to the next option and are typed from the registry", () => {
    assert.deepEqual(
      discordCommandLine("note title:Buy milk at 10:30 count:3 weight:1.5 loud:True", registry),
      {
        name: "note",
        options: [
          { name: "title", type: 3, value: "Buy milk at 10:30" },
          { name: "count", type: 4, value: 3 },
          { name: "weight", type: 10, value: 1.5 },
          { name: "loud", type: 5, value: true },
        ],
      },
    );
    assert.deepEqual(discordCommandLine("note title:42", registry).options[0], {
      name: "title",
      type: 3,
      value: "42",
    }, "a string option stays a string even when it looks like a number");
  });
  await t.step("no options", () => {
    assert.deepEqual(discordCommandLine("/tasks", registry), { name: "tasks", options: [] });
  });
  await t.step("what Discord's client would not send is refused", () => {
    assert.throws(() => discordCommandLine("link ABCD", registry), /name:value/);
    assert.throws(() => discordCommandLine("link", registry), /requires code/);
    assert.throws(() => discordCommandLine("link code:A nope:1", registry), /no option nope/);
    assert.throws(() => discordCommandLine("note title:x count:two", registry), /whole number/);
    assert.throws(() => discordCommandLine("note title:x loud:maybe", registry), /true or false/);
  });
  await t.step("an unregistered command is passed on with guessed types", () => {
    assert.deepEqual(discordCommandLine("other id:7 who:me", registry), {
      name: "other",
      options: [{ name: "id", type: 4, value: 7 }, { name: "who", type: 3, value: "me" }],
    });
  });
});
