/**
 * The delivery pipeline's rules, each tested once here for every channel: what spends the rate
 * budget, when a key is claimed, completed or released, what is final and what is retryable.
 * Runs over an in-memory ledger with the SQL functions' semantics (the SQL itself is tested on
 * the real database in integration/ledger_sql_test.ts) and counting stand-ins for identity.
 */
import { z } from "zod";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import {
  type AnyCommand,
  createRegistry,
  defineCommand,
} from "../../supabase/functions/_shared/command.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { createExecutor } from "../../supabase/functions/_shared/execute.ts";
import type { Claim, Ledger } from "../../supabase/functions/_shared/ledger.ts";
import { silentLogger } from "../../supabase/functions/_shared/log.ts";
import {
  createPipeline,
  type Delivery,
  type Outcome,
} from "../../supabase/functions/_shared/pipeline.ts";
import type { Principal } from "../../supabase/functions/_shared/principal.ts";
import { createRateLimiter } from "../../supabase/functions/_shared/rate_limit.ts";
import type { Reply } from "../../supabase/functions/_shared/reply.ts";
import type { Action } from "../../supabase/functions/_shared/actions.ts";
import type { BotScope } from "../../supabase/functions/_shared/bot.ts";

/** An in-memory ledger with the SQL functions' semantics (no lease expiry). */
function memoryLedger() {
  const rows = new Map<string, { done: boolean; result?: unknown }>();
  const log: string[] = [];
  const complete = (key: string, _claim: number, result: unknown) => {
    log.push(`complete ${key}`);
    const row = rows.get(key);
    if (!row || row.done) return Promise.resolve(false);
    rows.set(key, { done: true, result });
    return Promise.resolve(true);
  };
  const ledger: Ledger = {
    claim(key): Promise<Claim> {
      log.push(`claim ${key}`);
      const row = rows.get(key);
      if (!row) {
        rows.set(key, { done: false });
        return Promise.resolve({ status: "claimed", attempt: 1, claim: 1 });
      }
      return Promise.resolve(
        row.done ? { status: "done", result: row.result } : { status: "busy", retry_after: 12 },
      );
    },
    complete,
    completeSoon: complete,
    release(key) {
      log.push(`release ${key}`);
      const pending = rows.get(key)?.done === false;
      if (pending) rows.delete(key);
      return Promise.resolve(pending);
    },
    extend(key) {
      log.push(`extend ${key}`);
      return Promise.resolve(rows.get(key)?.done === false);
    },
  };
  return { ledger, rows, log };
}

const USER: Principal = {
  userId: "a11ce000-0000-4000-8000-000000000001",
  token: "t",
  expiresAt: 2e9,
  claims: { sub: "a11ce000-0000-4000-8000-000000000001", role: "authenticated", exp: 2e9 },
  channel: "telegram",
};

/** A pipeline over stand-ins; `effect` decides what the `write` and `read` commands do. */
function harness(
  options: {
    perMinute?: number;
    burst?: number;
    linked?: boolean;
    failComplete?: boolean;
    slowComplete?: boolean;
    commandTimeoutMs?: number;
  } = {},
) {
  const { ledger, rows, log } = memoryLedger();
  if (options.failComplete) {
    ledger.complete = ledger.completeSoon = () =>
      Promise.reject(new GatewayError(503, "db_unavailable", "down"));
  }
  if (options.slowComplete) {
    const complete = ledger.completeSoon;
    ledger.completeSoon = (key, claim, result) =>
      new Promise((resolve) => setTimeout(resolve, 30)).then(() => complete(key, claim, result));
  }
  let effect: () => Promise<Reply> = () => Promise.resolve({ text: "done" });
  let runs = 0;
  let lookups = 0;
  const write = defineCommand({
    name: "write",
    description: "writes",
    args: z.object({ title: z.string().min(1) }),
    requires: "user",
    run: () => (runs++, effect()),
  });
  const read = defineCommand({
    name: "read",
    description: "reads",
    args: z.object({}),
    requires: "user",
    readOnly: true,
    run: () => (runs++, effect()),
  });
  const registry = createRegistry([write, read] as AnyCommand[]);
  const background: Promise<unknown>[] = [];
  const core = {
    registry,
    ledger,
    log: silentLogger,
    now: Date.now,
    limit: createRateLimiter({ perMinute: options.perMinute ?? 0, burst: options.burst }),
    executor: createExecutor({
      registry,
      clients: {
        ready: () => Promise.resolve(),
        full: () => Promise.resolve(),
        forToken: () => ({}) as never,
      },
      links: {},
    }),
    identities: {
      principalFor: () => (lookups++, Promise.resolve(options.linked === false ? null : USER)),
      forget() {},
    },
    principalForToken: (token: string) =>
      token === "good"
        ? Promise.resolve({ ...USER, channel: "http" as const })
        : Promise.reject(new GatewayError(401, "invalid_token", "bad token")),
    linkingFor: () => ({ link: () => Promise.reject(), unlink: () => Promise.resolve(false) }),
    background: (p: Promise<unknown>) => void background.push(p),
    commandTimeoutMs: options.commandTimeoutMs,
  } as unknown as Omit<Core, "pipeline">;
  const pipeline = createPipeline(core);
  const delivered: Outcome[] = [];
  const delivery = (over: Partial<Delivery<Outcome>> = {}): Delivery<Outcome> => ({
    channel: "telegram",
    caller: { kind: "chat", account: { provider: "telegram", externalId: "7" } },
    command: "write",
    args: { title: "x" },
    id: "tg:1:100",
    deliver: (o) => Promise.resolve(void delivered.push(o)),
    stored: (o) => o,
    record: { request_id: "r" },
    ...over,
  });
  return {
    pipeline,
    delivery,
    rows,
    log,
    delivered,
    setEffect: (f: () => Promise<Reply>) => void (effect = f),
    runs: () => runs,
    lookups: () => lookups,
    settle: () => Promise.all(background),
  };
}

const down = () => Promise.reject(new GatewayError(503, "db_unavailable", "down"));

Deno.test("pipeline: runs once, delivers, completes; a repeat replays without running", async () => {
  const h = harness();
  const first = await h.pipeline(h.delivery());
  assert(!first.replayed && first.outcome.ok);
  assertEquals(h.log, ["claim tg:1:100", "complete tg:1:100"]);
  const again = await h.pipeline(h.delivery());
  assert(again.replayed);
  assertEquals(h.runs(), 1);
  assertEquals(h.delivered.length, 1, "a replay is not delivered again");
});

Deno.test("pipeline: rejected input is final and never reaches the ledger", async (t) => {
  const cases: [string, Partial<Delivery<Outcome>>, string][] = [
    ["unknown command", { command: "nope" }, "unknown_command"],
    ["bad arguments", { args: { title: "" } }, "invalid_args"],
    ["a lone surrogate", { args: { title: "milk \ud83d" } }, "invalid_args"],
    ["a NUL byte", { args: { title: "a\u0000b" } }, "invalid_args"],
    [
      "an adapter's refusal",
      { args: new GatewayError(400, "invalid_args", "Too many words.") },
      "invalid_args",
    ],
  ];
  for (const [name, over, code] of cases) {
    await t.step(name, async () => {
      const h = harness();
      const result = await h.pipeline(h.delivery(over));
      assert(!result.replayed && !result.outcome.ok);
      assertEquals(result.outcome.error.code, code);
      assertEquals(h.log, [], "no claim for rejected input");
      assertEquals(h.runs(), 0);
      assertEquals(h.delivered.length, 1, "the caller is told");
    });
  }
  await t.step("an unlinked account", async () => {
    const h = harness({ linked: false });
    const result = await h.pipeline(h.delivery());
    assert(!result.replayed && !result.outcome.ok);
    assertEquals(result.outcome.error.code, "not_linked");
    assertEquals(h.log, []);
  });
  await t.step("chat usage is in the channel's syntax", async () => {
    const h = harness();
    const tg = await h.pipeline(h.delivery({ args: {} }));
    const dc = await h.pipeline(h.delivery({ channel: "discord", args: {} }));
    assert(!tg.replayed && !tg.outcome.ok && !dc.replayed && !dc.outcome.ok);
    assertEquals(tg.outcome.error.message, "The title is missing, e.g. /write text");
    assertEquals(dc.outcome.error.message, "The title is missing, e.g. /write title:text");
  });
});

Deno.test("pipeline: a final error is stored; a retryable one releases the key", async () => {
  const h = harness();
  h.setEffect(() => Promise.reject(new GatewayError(403, "forbidden", "no")));
  const denied = await h.pipeline(h.delivery({ id: "a" }));
  assert(!denied.replayed && !denied.outcome.ok);
  assertEquals(h.rows.get("a")?.done, true);
  h.setEffect(down);
  const err = await assertRejects(() => h.pipeline(h.delivery({ id: "b" })));
  assertEquals((err as GatewayError).status, 503);
  assertEquals(h.rows.has("b"), false, "released for the retry");
});

Deno.test("pipeline: redeliveries during an outage never use up the caller's budget", async () => {
  // Eight updates, each redelivered five times while the database is down, under a burst of 3.
  const h = harness({ perMinute: 3, burst: 3 });
  h.setEffect(down);
  for (let attempt = 0; attempt < 5; attempt++) {
    for (let u = 0; u < 8; u++) {
      const err = await assertRejects(() => h.pipeline(h.delivery({ id: `u${u}` })));
      assertEquals((err as GatewayError).code, "db_unavailable");
    }
  }
  h.setEffect(() => Promise.resolve({ text: "ok" }));
  const results = [];
  for (let u = 0; u < 3; u++) results.push(await h.pipeline(h.delivery({ id: `u${u}` })));
  assert(results.every((r) => !r.replayed && r.outcome.ok), "the budget was intact");
  // A replay of an answered update gives its token back too.
  assert((await h.pipeline(h.delivery({ id: "u0" }))).replayed);
});

Deno.test("pipeline: a flood is refused before identity or ledger; the repeat is quiet", async () => {
  const h = harness({ perMinute: 60, burst: 2 });
  await h.pipeline(h.delivery({ id: "1" }));
  await h.pipeline(h.delivery({ id: "2" }));
  const lookups = h.lookups();
  const refused = await h.pipeline(h.delivery({ id: "3" }));
  const again = await h.pipeline(h.delivery({ id: "4" }));
  assert(!refused.replayed && !refused.outcome.ok && !again.replayed && !again.outcome.ok);
  assertEquals(refused.outcome.error.code, "rate_limited");
  assert(!refused.outcome.quiet, "the first refusal is told");
  assert(again.outcome.quiet === true, "a later one in the window is quiet");
  assertEquals(h.lookups(), lookups, "no identity look-up");
  assertEquals(h.log.filter((l) => l.startsWith("claim")).length, 2);
});

Deno.test("pipeline: a timeout is 504 for a write, 503 for a read", async () => {
  const h = harness();
  h.setEffect(() => Promise.reject(new GatewayError(504, "upstream_timeout", "slow")));
  const write = await assertRejects(() => h.pipeline(h.delivery({ id: "w" })));
  assertEquals((write as GatewayError).code, "upstream_timeout");
  const read = await assertRejects(() =>
    h.pipeline(h.delivery({ id: "r", command: "read", args: {} }))
  );
  assertEquals((read as GatewayError).code, "db_unavailable");
});

Deno.test("pipeline: a command that never settles times out and frees its key", async () => {
  // Before: a command that never settled held its delivery key (and the caller) for ever.
  const h = harness({ commandTimeoutMs: 50 });
  h.setEffect(() => new Promise(() => {}));
  const write = await assertRejects(() => h.pipeline(h.delivery({ id: "w" })));
  assertEquals([(write as GatewayError).status, (write as GatewayError).code], [
    504,
    "command_timeout",
  ]);
  assert(h.log.includes("release w"), "released, so a retry can run");
  const read = await assertRejects(() =>
    h.pipeline(h.delivery({ id: "r", command: "read", args: {} }))
  );
  assertEquals([(read as GatewayError).status, (read as GatewayError).code], [
    503,
    "command_timeout",
  ]);
  h.setEffect(() => Promise.resolve({ text: "ok" }));
  const retry = await h.pipeline(h.delivery({ id: "w" }));
  assert(!retry.replayed && retry.outcome.ok, "the retry runs");
});

Deno.test("pipeline: a failed delivery releases; a failed completion keeps the answer", async () => {
  const h = harness();
  const failing = h.delivery({
    deliver: () => Promise.reject(new GatewayError(503, "upstream_error", "x")),
  });
  await assertRejects(() => h.pipeline(failing));
  assert(h.log.includes("release tg:1:100"));
  const retry = await h.pipeline(h.delivery());
  assert(!retry.replayed && retry.outcome.ok, "the redelivery runs again");
  assertEquals(h.runs(), 2);
  const unrecorded = harness({ failComplete: true });
  const answered = await unrecorded.pipeline(unrecorded.delivery());
  assert(!answered.replayed && answered.outcome.ok, "an answered delivery stays answered");
});

Deno.test("pipeline: a chat platform's read-only delivery runs without the ledger", async () => {
  const h = harness();
  const result = await h.pipeline(h.delivery({ command: "read", args: {} }));
  assert(!result.replayed && result.outcome.ok);
  assertEquals(h.log, [], "no claim, no completion");
  assertEquals(h.runs(), 1);
  const repeat = await h.pipeline(h.delivery({ command: "read", args: {} }));
  assert(repeat.replayed, "a redelivery to this instance replays what it answered");
  assert(repeat.stored.ok && repeat.stored.reply.text === result.outcome.reply.text);
  assertEquals(h.runs(), 1);
  assertEquals(h.delivered.length, 1, "answered once");
});

Deno.test("pipeline: a reply keeps only the buttons its bot offers", async (t) => {
  const h = harness();
  const button = (command: string, then?: string): Action => ({
    label: command,
    command,
    args: {},
    ...(then ? { then: { command: then, args: {} } } : {}),
  });
  h.setEffect(() =>
    Promise.resolve({
      text: "list",
      actions: [[button("write", "read"), button("read"), button("gone")], [button("write")]],
    })
  );
  /** A bot offering only the commands named. */
  const bot = (...names: string[]): BotScope => ({
    channel: "telegram",
    name: "b",
    offers: (c) => names.includes(c.name),
    commands: [],
    links: {},
  });
  const actions = async (over: Partial<Delivery<Outcome>>) => {
    const result = await h.pipeline(h.delivery({ id: crypto.randomUUID(), ...over }));
    assert(!result.replayed && result.outcome.ok);
    return result.outcome.reply.actions;
  };
  await t.step("no button for a command the bot does not offer, nor an empty row", async () => {
    assertEquals(await actions({ bot: bot("read"), command: "read", args: {} }), [[
      button("read"),
    ]]);
  });
  await t.step("a follow-on the bot does not offer is dropped from its button", async () => {
    assertEquals(await actions({ bot: bot("write") }), [[button("write")], [button("write")]]);
  });
  await t.step("none offered: no actions at all", async () => {
    h.setEffect(() => Promise.resolve({ text: "x", actions: [[button("gone")]] }));
    assertEquals(await actions({ bot: bot("read"), command: "read", args: {} }), undefined);
  });
  await t.step("a press runs only what the bot offers", async () => {
    const result = await h.pipeline(h.delivery({ bot: bot("read"), id: "tg:1:press" }));
    assert(!result.replayed && !result.outcome.ok);
    assertEquals(result.outcome.error.code, "unknown_command");
  });
});

Deno.test("pipeline: a failed read-only delivery is not remembered", async () => {
  const h = harness();
  let fail = true;
  const d = h.delivery({
    command: "read",
    args: {},
    deliver: () => fail ? Promise.reject(new Error("send failed")) : Promise.resolve(),
  });
  await assertRejects(() => h.pipeline(d));
  fail = false;
  const again = await h.pipeline(d);
  assert(!again.replayed && again.outcome.ok, "the redelivery runs again");
  assertEquals(h.runs(), 2);
});

Deno.test("pipeline: completions are off the response path; a repeat here waits for one", async () => {
  const h = harness({ slowComplete: true });
  const keyed = () =>
    h.delivery({ channel: "http", caller: { kind: "token", token: "good" }, id: "http:k" });
  const first = await h.pipeline(keyed());
  assert(!first.replayed && first.outcome.ok);
  assertEquals(h.rows.get(`http:k@${USER.userId}`)?.done, false, "answered before completing");
  const repeat = await h.pipeline(keyed());
  assert(repeat.replayed, "replayed once the completion is written, not refused as busy");
  assertEquals(h.runs(), 1);
});

Deno.test("pipeline: an Idempotency-Key read starts alongside the claim", async () => {
  const h = harness();
  let order = "";
  h.setEffect(() => (order += "run;", Promise.resolve({ text: "r" })));
  const keyed = () =>
    h.delivery({
      channel: "http",
      caller: { kind: "token", token: "good" },
      command: "read",
      args: {},
      id: "http:k",
      checkReuse: true,
    });
  const result = await h.pipeline(keyed());
  assert(!result.replayed && result.outcome.ok);
  assertEquals(order, "run;");
  assertEquals(h.log[0], `claim http:k@${USER.userId}`);
  const repeat = await h.pipeline(keyed());
  assert(repeat.replayed, "a repeat drops the early result and replays");
});

Deno.test("pipeline: HTTPS tokens are verified first; keys are scoped to the user", async () => {
  const h = harness();
  const bad = await h.pipeline(
    h.delivery({ channel: "http", caller: { kind: "token", token: "x" } }),
  );
  assert(!bad.replayed && !bad.outcome.ok);
  assertEquals(bad.outcome.error.code, "invalid_token");
  assertEquals(h.log, []);
  await h.pipeline(
    h.delivery({ channel: "http", caller: { kind: "token", token: "good" }, id: "http:k" }),
  );
  assertEquals(h.log[0], `claim http:k@${USER.userId}`);
});
