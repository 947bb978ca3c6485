/**
 * Defining commands (supabase/functions/_shared/command.ts): a name or description the channels
 * cannot serve is refused at once; an argument they cannot serve when the command's JSON Schema is
 * first derived, which is also when a good schema is made, once.
 */
import { z } from "zod";
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import { example } from "../../supabase/functions/_shared/wording.ts";

const run = () => Promise.resolve(reply.text("ok"));

Deno.test("defineCommand: a bad name or description is refused at once", () => {
  assertThrows(() =>
    defineCommand({ name: "Bad Name", description: "x", args: z.object({}), requires: "none", run })
  );
  assertThrows(() =>
    defineCommand({ name: "ok", description: "", args: z.object({}), requires: "none", run })
  );
});

Deno.test("defineCommand: an argument the channels cannot serve is refused when derived", () => {
  const nested = defineCommand({
    name: "nested",
    description: "Takes an object",
    args: z.object({ inner: z.object({ a: z.string() }) }),
    requires: "none",
    run,
  });
  const error = assertThrows(() => nested.jsonSchema);
  assert(error.message.includes("'inner' of 'nested'"), error.message);
});

Deno.test("defineCommand: the JSON Schema is derived once, as the channels read it", () => {
  const echo = defineCommand({
    name: "echo",
    description: "Repeat a word",
    args: z.object({ word: z.string().min(1).describe("What to repeat") }),
    requires: "none",
    run,
  });
  assert(echo.jsonSchema === echo.jsonSchema, "the same object each time");
  assertEquals(echo.jsonSchema.required, ["word"]);
  assertEquals(echo.jsonSchema.properties.word.type, "string");
  assertEquals(echo.jsonSchema.properties.word.description, "What to repeat");
  assertEquals(Object.keys({ ...echo }).includes("jsonSchema"), true, "spread keeps it");
});

Deno.test("example: a given value's call is built from the shape, without the JSON Schema", () => {
  let derived = 0;
  // The command, seen through an object that counts reads of its JSON Schema.
  const spy = <T extends { jsonSchema: unknown }>(c: T): T =>
    Object.create(c, { jsonSchema: { get: () => (derived++, c.jsonSchema) } });
  const page = spy(defineCommand({
    name: "page",
    description: "Pages",
    args: z.object({ page: z.number().int().optional(), size: z.number().default(15) }),
    requires: "none",
    run,
  }));
  assertEquals(example(page, "http", "page", 2), 'POST /commands/page {"page":2}');
  assertEquals(example(page, "discord", "page", 2), "/page page:2");
  assertEquals(example(page, "telegram", "nope", 2), undefined);
  assertEquals(derived, 0);
  // Another argument required: its sample value comes from the JSON Schema, as before.
  const move = spy(defineCommand({
    name: "move",
    description: "Moves",
    args: z.object({
      id: z.number().int().min(3),
      to: z.string().meta({ examples: ["done"] }),
      note: z.string().optional(),
    }),
    requires: "none",
    run,
  }));
  assertEquals(example(move, "discord", "to", "later"), "/move id:3 to:later");
  assertEquals(example(move, "telegram", "note"), "/move 3 done text");
  assertEquals(example(move, "http", "id", 7), 'POST /commands/move {"id":7,"to":"done"}');
  assert(derived > 0);
});
