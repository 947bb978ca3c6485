/**
 * Smoke test of the fuzzer (`deno task fuzz`) without a stack: its generator is deterministic
 * (same seed, same cases), makes the categories the fuzz run promises, encodes lone surrogates as
 * `\ud83d` escapes, and its checks flag what they exist to flag. The fuzz run itself is not part
 * of the suite.
 */
import { assert, assertEquals } from "../assert.ts";
import { CHANNELS, type FuzzCase, generateCase } from "../../dev/fuzz/generate.ts";
import { type CaseResult, checkCase } from "../../dev/fuzz/checks.ts";
import type { Counts } from "../../dev/fuzz/db_counts.ts";

const cases = (seed: number, channel: FuzzCase["channel"], n: number) =>
  Array.from({ length: n }, (_, i) => generateCase(seed, channel, i));

Deno.test("fuzz generator: the same seed gives the same cases, another seed others", () => {
  for (const channel of CHANNELS) {
    assertEquals(cases(7, channel, 200), cases(7, channel, 200), channel);
    assertEquals(generateCase(7, channel, 150), cases(7, channel, 151)[150], "one case alone");
    const other = cases(8, channel, 200);
    assert(other.some((c, i) => c.body !== cases(7, channel, 200)[i].body), channel);
  }
});

Deno.test("fuzz generator: 1000 cases per channel cover the promised categories", () => {
  const expected: Record<FuzzCase["channel"], string[]> = {
    http: [
      "add/lone-surrogate",
      "add/nul",
      "add/long",
      "done/negative",
      "done/zero",
      "done/float",
      "done/huge",
      "done/bignum-text",
      "wrong-types/",
      "bad-json/",
      "content-type/",
      "oversized/",
      "idempotency/",
      "token/alg-none",
      "token/expired",
      "token/forged",
      "unknown-command/",
    ],
    telegram: [
      "linked-command/add-lone-surrogate",
      "linked-command/add-nul",
      "@other",
      "message-shape/message-null",
      "message-shape/chat-missing",
      "message-shape/chat-null",
      "message-shape/text-wrong-type",
      "message-shape/from-missing",
      "update-id/",
      "bad-json/",
      "oversized/",
      "secret/",
      "unlinked-command/",
    ],
    discord: [
      "linked-command/add-lone-surrogate",
      "linked-command/done-",
      "options/",
      "shape/member.user",
      "shape/caller",
      "shape/user.id",
      "autocomplete/",
      "signature/",
      "oversized/",
      "bad-json/",
    ],
    slack: [
      "linked-command/add-lone-surrogate",
      "linked-command/add-escaped",
      "linked-command/done-",
      "unlinked-command/",
      "form-shape/team_id",
      "form-shape/response_url-foreign",
      "form-shape/trigger_id",
      "press/done-real",
      "press/done-tampered",
      "payload-shape/actions",
      "other/ssl_check",
      "other/url_verification",
      "bad-body/",
      "oversized/",
      "signature/stale",
      "signature/wrong-key",
    ],
  };
  for (const channel of CHANNELS) {
    const categories = new Set(cases(20261202, channel, 1000).map((c) => c.category));
    for (const want of expected[channel]) {
      assert([...categories].some((c) => c.includes(want)), `${channel}: no ${want} case`);
    }
  }
});

Deno.test("fuzz generator: lone surrogates travel as JSON escapes, oversized bodies pass limits", () => {
  const http = cases(20261202, "http", 1000);
  const lone = http.filter((c) => c.category === "add/lone-surrogate");
  assert(lone.length > 0);
  for (const c of lone) {
    assert(c.body.isWellFormed(), "the body itself is well-formed UTF-16");
    assert(/\\ud[89a-f][0-9a-f]{2}/.test(c.body), `no escape in ${c.body}`);
  }
  const big = http.filter((c) => c.category.startsWith("oversized/"));
  assert(big.some((c) => c.body.length > 64 * 1024));
  const telegram = cases(20261202, "telegram", 1000).filter((c) =>
    c.category.startsWith("oversized/")
  );
  assert(telegram.every((c) => c.body.length > 1024 * 1024));
  const discord = cases(20261202, "discord", 1000);
  assert(discord.filter((c) => c.signature === "valid").length > 900, "most get past verification");
  const slack = cases(20261202, "slack", 1000);
  assert(slack.filter((c) => c.signature === "valid").length > 880, "most Slack cases are signed");
  assert(
    slack.filter((c) => c.category.startsWith("oversized/")).every((c) =>
      c.body.length > 256 * 1024
    ),
  );
});

const COUNTS: Counts = {
  tasks: 5,
  tasks_done: 1,
  chat_identities: 2,
  link_codes: 2,
  link_codes_used: 2,
  link_attempts: 0,
  deliveries: 10,
  deliveries_pending: 0,
  auth_users: 4,
};

function result(overrides: Partial<CaseResult>): CaseResult {
  return {
    fuzzCase: generateCase(1, "http", 0),
    obs: { status: 200, headers: {}, body: '{"ok":true,"text":"Added #6: x"}', ms: 1 },
    before: COUNTS,
    after: COUNTS,
    logs: [],
    replies: [],
    ...overrides,
  };
}

Deno.test("fuzz checks: 5xx, writes on rejected input and leaked secrets are violations", () => {
  const kinds = (r: CaseResult) =>
    checkCase(r, [{ name: "JWT secret", value: "s3cr3t-s3cr3t" }]).map((v) => v.kind);
  const add = { ...generateCase(1, "http", 0), path: "/commands/add" };
  assertEquals(kinds(result({ fuzzCase: add, after: { ...COUNTS, tasks: 6 } })), []);
  const failed = result({
    fuzzCase: add,
    obs: { status: 500, headers: {}, body: '{"ok":false,"error":{"code":"internal"}}', ms: 1 },
    after: { ...COUNTS, tasks: 6 },
    logs: ['{"level":"info","msg":"request","note":"s3cr3t-s3cr3t"}'],
  });
  assertEquals(kinds(failed).sort(), ["5xx", "secret-leak", "unexpected-write"]);
  const telegram = result({
    fuzzCase: generateCase(1, "telegram", 0),
    obs: { status: 200, headers: {}, body: "", ms: 1 },
    replies: ["Unknown command. Send /help to see what I can do."],
    after: { ...COUNTS, tasks: 6, deliveries: 11 },
  });
  assertEquals(kinds(telegram), ["unexpected-write"], "a refused command adds no task");
});
