/**
 * One registry serves every channel: a command added in a test (no channel code touched) shows up
 * in the HTTPS catalogue and OpenAPI, Telegram's /help and menu, and Discord's registration, and
 * runs on each of them.
 */
import { z } from "zod";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { discordCommandsJson } from "../../adapters/discord/commands_json.ts";
import { telegramCommandMenu } from "../../adapters/telegram/setup.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import {
  integration,
  newUser,
  postUpdate,
  randomExternalId,
  runCommand,
  sentTexts,
  startGateway,
  telegramMessage,
  tokenFor,
} from "../fixtures.ts";

const echo = defineCommand({
  name: "echo",
  description: "Repeat a word a few times",
  args: z.object({
    times: z.number().int().min(1).max(5).describe("How often"),
    word: z.string().min(1).max(50).describe("What to repeat"),
  }),
  requires: "none",
  run: (_ctx, { times, word }) => Promise.resolve(reply.text(Array(times).fill(word).join(" "))),
});

Deno.test("a new command reaches every channel", integration, async (t) => {
  const all = [...commands, echo];
  const gw = await startGateway({ commands: all });
  await t.step("HTTPS catalogue, OpenAPI and a call", async () => {
    const catalogue = await (await gw.request("/commands")).json();
    const entry = catalogue.data.find((c: { name: string }) => c.name === "echo");
    assertEquals(entry.args.required, ["times", "word"]);
    assertEquals(entry.args.properties.times.maximum, 5);
    const doc = await (await gw.request("/openapi.json")).json();
    assert(doc.paths["/commands/echo"], "not in OpenAPI");
    const res = await runCommand(gw, await tokenFor(await newUser()), "echo", {
      times: 2,
      word: "hi",
    });
    assertEquals(res.body.text, "hi hi");
  });
  await t.step("Telegram /help, the command menu and a call", async () => {
    const tg = randomExternalId();
    await postUpdate(gw, telegramMessage({ fromId: tg, text: "/help" }));
    assertMatch(sentTexts(gw, tg).at(-1)!, /\/echo <times> <word> - Repeat a word/);
    assert(telegramCommandMenu(all).some((c) => c.command === "echo"));
    await postUpdate(gw, telegramMessage({ fromId: tg, text: "/echo 3 yo" }));
    assertEquals(sentTexts(gw, tg).at(-1), "yo yo yo");
  });
  await t.step("Discord registration with typed options", () => {
    const json = discordCommandsJson(all) as {
      name: string;
      options?: { name: string; type: number; required?: boolean; max_value?: number }[];
    }[];
    const cmd = json.find((c) => c.name === "echo")!;
    assertEquals(cmd.options!.map((o) => [o.name, o.type, o.required]), [
      ["times", 4, true],
      ["word", 3, true],
    ]);
    assertEquals(cmd.options![0].max_value, 5);
  });
  await gw.close();
});
