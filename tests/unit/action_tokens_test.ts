/**
 * Button tokens across a service-key rotation: a token names the key that signed it, so with the
 * old and the new key configured (the new one current) the buttons already sent still verify;
 * once the old key is gone they do not; a key id changed by hand never verifies. Each bot signs
 * with its own key (the default bots of two platforms too); tokens from before key ids verify on
 * the bots that take them (the default Telegram and Discord bots). Tokens stay within Telegram's
 * 64 bytes. (Attacks on the format itself: hmac_attack_test.ts.)
 */
import { z } from "zod";
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { createActionCodec } from "../../supabase/functions/_shared/action_tokens.ts";
import { action, ACTION_TOKEN_LIMIT } from "../../supabase/functions/_shared/actions.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { buttonScope } from "../../supabase/functions/_shared/bot.ts";
import type { DiscordApp, TelegramBot } from "../../supabase/functions/_shared/bots.ts";
import type { SlackApp } from "../../supabase/functions/_shared/bots_slack.ts";

const OLD = "sb_secret_the-old-key-for-this-test";
const NEW = "sb_secret_the-new-key-for-this-test";
const DONE = { label: "Done", command: "done", args: { id: 42 } };
const CALL = { command: "done", args: { id: 42 } };
const ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** The token's key id and the rest around it. */
function parts(token: string) {
  const cut = token.lastIndexOf("~");
  return { calls: token.slice(0, cut), id: token.slice(cut + 1, cut + 3), mac: token.slice(-16) };
}

Deno.test("rotation: tokens of the old key verify while both keys are configured", () => {
  const sent = createActionCodec({ keys: [OLD] }).encode(DONE);
  const rotating = createActionCodec({ keys: [NEW, OLD] });
  assertEquals(rotating.decode(sent), CALL);
  // New tokens are signed with the current (first) key: another id, and valid after the rotation.
  const fresh = rotating.encode(DONE);
  assert(parts(fresh).id !== parts(sent).id, "the new key's id");
  assertEquals(createActionCodec({ keys: [NEW] }).decode(fresh), CALL);
  assertEquals(createActionCodec({ keys: [OLD] }).decode(fresh), null);
});

Deno.test("rotation: tokens of a key no longer configured are refused", () => {
  const sent = createActionCodec({ keys: [OLD] }).encode(DONE);
  assertEquals(createActionCodec({ keys: [NEW] }).decode(sent), null);
  assertEquals(createActionCodec({ keys: [NEW, "sb_secret_another"] }).decode(sent), null);
});

Deno.test("rotation: a changed key id is refused, whichever id it names", () => {
  const rotating = createActionCodec({ keys: [NEW, OLD] });
  const { calls, id, mac } = parts(createActionCodec({ keys: [OLD] }).encode(DONE));
  let tried = 0;
  for (const a of ID_CHARS) {
    for (const b of ID_CHARS) {
      if (a + b === id) continue;
      tried++;
      assertEquals(rotating.decode(`${calls}~${a}${b}${mac}`), null, a + b);
    }
  }
  assertEquals(tried, 64 * 64 - 1); // the new key's id among them
});

Deno.test("rotation: two keys that share an id each verify their own tokens", () => {
  // Ids are 12 bits: find a key whose id is the old key's, as may happen in a rotation.
  const oldId = parts(createActionCodec({ keys: [OLD] }).encode(DONE)).id;
  let twin = "";
  for (let i = 0; !twin; i++) {
    const candidate = `sb_secret_twin-${i}`;
    if (parts(createActionCodec({ keys: [candidate] }).encode(DONE)).id === oldId) twin = candidate;
  }
  const both = createActionCodec({ keys: [twin, OLD] });
  assertEquals(both.decode(createActionCodec({ keys: [OLD] }).encode(DONE)), CALL);
  assertEquals(both.decode(createActionCodec({ keys: [twin] }).encode(DONE)), CALL);
  assertEquals(both.decode(createActionCodec({ keys: [NEW] }).encode(DONE)), null);
});

Deno.test("tokens from before key ids verify under any configured key, and only those", async () => {
  // `<calls>~<MAC>`: the MAC over the calls under the "v1" key, as the codec signed until now.
  const v1 = async (secret: string) => {
    const imp = (raw: BufferSource) =>
      crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const utf8 = (s: string) => new TextEncoder().encode(s);
    const key = await crypto.subtle.sign(
      "HMAC",
      await imp(utf8(secret)),
      utf8("gateway actions v1"),
    );
    const tag = new Uint8Array(
      await crypto.subtle.sign("HMAC", await imp(key), utf8('done:{"id":42}')),
    );
    const mac = btoa(String.fromCharCode(...tag.subarray(0, 12))).replaceAll("+", "-")
      .replaceAll("/", "_");
    return `done:{"id":42}~${mac}`;
  };
  const sent = await v1(OLD);
  const legacy = (keys: string[], scope?: string) =>
    createActionCodec({ keys, legacy: true, ...(scope ? { scope } : {}) });
  assertEquals(legacy([NEW, OLD]).decode(sent), CALL);
  assertEquals(legacy([OLD, NEW]).decode(sent), CALL);
  assertEquals(legacy([NEW]).decode(sent), null);
  // Signed alike for every bot: they verify on each bot that takes them, whatever its scope...
  assertEquals(legacy([OLD], "telegram:7000000001").decode(sent), CALL);
  assertEquals(legacy([OLD], "discord:100000000000000001").decode(sent), CALL);
  // ...and only there.
  assertEquals(createActionCodec({ keys: [OLD], scope: "telegram:7000000002" }).decode(sent), null);
  assertEquals(createActionCodec({ keys: [OLD] }).decode(sent), null);
});

Deno.test("buttonScope: each bot its own key, the default bots of two platforms included", () => {
  const config = {
    telegramBots: [
      { name: "default", botId: 7000000001 },
      { name: "staging", botId: 7000000002 },
    ] as TelegramBot[],
    discordApps: [
      { name: "default", applicationId: "100000000000000001" },
      { name: "staging", applicationId: "100000000000000002" },
    ] as DiscordApp[],
    slackApps: [{ name: "default" }] as SlackApp[],
  };
  const scopes = [
    ["telegram", "default", "telegram:7000000001", true],
    ["telegram", "staging", "telegram:7000000002", false],
    ["discord", "default", "discord:100000000000000001", true],
    ["discord", "staging", "discord:100000000000000002", false],
    ["slack", "default", "slack:default", false],
  ] as const;
  const codecs = scopes.map(([channel, name, scope, legacy]) => {
    const found = buttonScope(config, channel, name);
    assertEquals(found, { scope, legacy });
    return createActionCodec({ keys: [NEW], ...found });
  });
  codecs.forEach((signer, i) => {
    const token = signer.encode(DONE);
    codecs.forEach((checker, j) => assertEquals(checker.decode(token), i === j ? CALL : null));
  });
  assertEquals(buttonScope(config, "telegram", "nope"), undefined);
});

Deno.test("tokens with their key id still fit Telegram's 64 bytes; the check counts it", () => {
  const note = defineCommand({
    name: "n",
    description: "Test-only command with a string argument",
    args: z.object({ t: z.string() }),
    requires: "none",
    run: () => Promise.resolve({ text: "" }),
  });
  const codec = createActionCodec({ keys: [NEW, OLD] });
  // `n:{"t":""}` is 10 bytes; the token adds "~", two id characters and 16 of MAC.
  const fits = "x".repeat(ACTION_TOKEN_LIMIT - 10 - 19);
  const token = codec.encode(action(note, { t: fits }, "Fits"));
  assertEquals(new TextEncoder().encode(token).length, ACTION_TOKEN_LIMIT);
  assertEquals(codec.decode(token), { command: "n", args: { t: fits } });
  assertThrows(() => action(note, { t: fits + "x" }, "Too long"));
});

Deno.test("a codec without a key is refused when built", () => {
  assertThrows(() => createActionCodec({ keys: [] }));
});
