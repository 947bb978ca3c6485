/**
 * Defining commands (supabase/functions/_shared/command.ts): a name or description the channels
 * cannot serve is refused at once; an argument they cannot serve when the command's JSON Schema is
 * first derived, which is also when a good schema is made, once.
 */
import { z } from "zod";
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";

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
