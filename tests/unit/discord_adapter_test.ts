/**
 * Unit tests of the Discord adapter's pure parts: markdown escaping and the 2000-character
 * limit, interaction parsing, signature checks with real Ed25519 keys, and deferred-reply
 * delivery through the Discord sink (429 waits, retries, final refusals).
 */
import assert from "node:assert/strict";
import {
  DISCORD_CONTENT_LIMIT,
  discordContent,
  escapeMarkdown,
  messageResponse,
} from "../../adapters/discord/format.ts";
import { chatAccount, optionArgs, parseInteraction } from "../../adapters/discord/interaction.ts";
import { createSignatureCheck } from "../../adapters/discord/verify.ts";
import { editOriginal, MAX_ATTEMPTS } from "../../adapters/discord/webhook.ts";
import { createDiscordSink } from "../../dev/sinks/mod.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { silentLogger } from "../../supabase/functions/_shared/log.ts";

const hex = (bytes: ArrayBuffer) =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");

Deno.test("discord markdown and limits", async (t) => {
  await t.step("markdown specials are escaped", () => {
    assert.equal(
      escapeMarkdown("**bold** _it_ ~~s~~ `c` ||x||"),
      [
        "\\*\\*bold\\*\\* \\_it\\_ \\~\\~s\\~\\~ \\`c\\` \\|\\|x\\|\\|",
      ].join(""),
    );
    assert.equal(
      escapeMarkdown("[link](https://x) <@123> \\"),
      "\\[link\\](https://x) \\<@123> \\\\",
    );
    assert.equal(
      escapeMarkdown("# head\n> quote\n- item\n1. one\n• #5 ok"),
      [
        "\\# head",
        "\\> quote",
        "\\- item",
        "1\\. one",
        "• #5 ok",
      ].join("\n"),
    );
  });

  await t.step("long text is trimmed at a line and says how much is left out", () => {
    const text = Array.from({ length: 300 }, (_, i) => `• #${i} task_${i} *x*`).join("\n");
    const content = discordContent(text);
    assert.ok(content.length <= DISCORD_CONTENT_LIMIT);
    const lines = content.split("\n");
    const note = /^… and (\d+) more lines not shown$/.exec(lines.at(-1)!);
    assert.ok(note, lines.at(-1));
    assert.equal(Number(note[1]) + lines.length - 1, 300, "every line is shown or counted");
    assert.match(lines.at(-2)!, /^• #\d+ task\\_\d+ \\\*x\\\*$/, "the last line shown is whole");
    assert.ok(content.startsWith("• #0 task\\_0 \\*x\\*\n"));
    assert.equal(discordContent("   "), "Done.");
  });

  await t.step("responses mention no one; private unless public", () => {
    assert.deepEqual(messageResponse("@everyone hi", true), {
      type: 4,
      data: { content: "@everyone hi", allowed_mentions: { parse: [] }, flags: 64 },
    });
    assert.equal(messageResponse("hi", false).data!.flags, undefined);
  });
});

Deno.test("discord interaction parsing", () => {
  const base = { id: "1234", application_id: "5678", token: "tok" };
  assert.equal(parseInteraction(JSON.stringify({ ...base, type: 1, token: undefined })).type, 1);
  assert.throws(() => parseInteraction("{"), (e: GatewayError) => e.code === "bad_json");
  assert.throws(() => parseInteraction(JSON.stringify({ type: 2 })), /Malformed/);
  assert.throws(() => parseInteraction(JSON.stringify({ ...base, type: 2, token: "" })));
  const guild = parseInteraction(JSON.stringify({
    ...base,
    type: 2,
    member: { user: { id: "42", username: "ann", global_name: "Ann" } },
    user: { id: "99" },
  }));
  assert.deepEqual(chatAccount(guild), {
    provider: "discord",
    externalId: "42",
    username: "ann",
    displayName: "Ann",
  });
  const dm = parseInteraction(JSON.stringify({ ...base, type: 2, user: { id: "99" } }));
  assert.equal(chatAccount(dm).externalId, "99");
  assert.throws(() => chatAccount(parseInteraction(JSON.stringify({ ...base, type: 2 }))));
  assert.deepEqual(
    optionArgs([{ name: "id", type: 4, value: 3 }, { name: "x", type: 3 }]),
    { id: 3 },
  );
});

Deno.test("discord signature check", async (t) => {
  const keys = await crypto.subtle.generateKey("Ed25519", true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const other = await crypto.subtle.generateKey("Ed25519", true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const publicKey = hex(await crypto.subtle.exportKey("raw", keys.publicKey));
  let now = 1_700_000_000_000;
  const check = createSignatureCheck(publicKey, () => now);
  const body = '{"type":1}';
  const sign = async (key: CryptoKey, timestamp: string, text = body) =>
    hex(
      await crypto.subtle.sign("Ed25519", key, new TextEncoder().encode(timestamp + text)),
    );
  const ts = String(now / 1000);
  const unauthorized = (e: GatewayError) => e.status === 401 && e.code === "invalid_token";

  await t.step("a valid signature passes", async () => {
    await check({ signature: await sign(keys.privateKey, ts), timestamp: ts }, body);
  });
  await t.step("everything else is 401", async () => {
    const good = await sign(keys.privateKey, ts);
    await assert.rejects(check({ signature: null, timestamp: ts }, body), unauthorized);
    await assert.rejects(check({ signature: good, timestamp: null }, body), unauthorized);
    await assert.rejects(check({ signature: "zz", timestamp: ts }, body), unauthorized);
    await assert.rejects(
      check({ signature: await sign(other.privateKey, ts), timestamp: ts }, body),
      unauthorized,
    );
    await assert.rejects(check({ signature: good, timestamp: ts }, '{"type":2}'), unauthorized);
    const old = String(now / 1000 - 301);
    await assert.rejects(
      check({ signature: await sign(keys.privateKey, old), timestamp: old }, body),
      unauthorized,
    );
    now += 299_000;
    await check({ signature: good, timestamp: ts }, body);
  });
  await t.step("a malformed key is refused at build time", () => {
    assert.throws(() => createSignatureCheck("abc", () => now), /64 hex/);
  });
});

Deno.test("discord deferred edit delivery", async (t) => {
  const sink = createDiscordSink();
  const slept: number[] = [];
  const core = {
    fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
      const req = new Request(input, init);
      return sink.handle(req, new URL(req.url).pathname);
    }) as typeof fetch,
    sleep: (ms: number) => {
      slept.push(ms);
      return Promise.resolve();
    },
    log: silentLogger,
  };
  const target = { apiBase: "http://discord.test/api/v10", applicationId: "77", token: "t.k-1" };
  const body = { content: "hello", allowed_mentions: { parse: [] as never[] } };
  sink.registerInteraction("77", "t.k-1");

  await t.step("edits @original", async () => {
    assert.equal(await editOriginal(core, target, body), true);
    assert.equal(sink.interaction("t.k-1")!.original!.content, "hello");
    assert.equal(sink.calls.at(-1)!.path, "/api/v10/webhooks/77/t.k-1/messages/@original");
  });
  await t.step("waits out 429 retry_after, retries 5xx", async () => {
    sink.failNext({ method: "PATCH" }, { status: 429, retryAfter: 0.25 });
    sink.failNext({ method: "PATCH" }, { status: 503 });
    assert.equal(await editOriginal(core, target, { ...body, content: "again" }), true);
    assert.deepEqual(slept, [250, 1000]);
    assert.equal(sink.interaction("t.k-1")!.original!.content, "again");
  });
  await t.step("gives up after a few attempts or on a refusal", async () => {
    sink.failNext({ method: "PATCH" }, { status: 429, retryAfter: 0.01 }, 10);
    const before = sink.calls.length;
    assert.equal(await editOriginal(core, target, body), false);
    assert.equal(sink.calls.length - before, MAX_ATTEMPTS);
    sink.reset();
    assert.equal(await editOriginal(core, target, body), false, "unknown webhook is final");
    assert.equal(sink.calls.length, 1);
  });
});
