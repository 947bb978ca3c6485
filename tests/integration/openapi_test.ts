/**
 * `GET /openapi.json` against the real gateway: every (path, method, status) the HTTPS channel
 * answers with is documented, with the error codes and headers it carries; the document passes
 * swagger-parser's validation and Redocly's recommended lint with 0 errors.
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import { Ajv2020 } from "ajv/dist/2020.js";
import { z } from "zod";
import { freePort } from "../../dev/ports.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { unwrap } from "../../supabase/functions/_shared/db.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import { commands as appCommands } from "../../supabase/functions/gateway/commands/mod.ts";
import { assert, assertEquals } from "../assert.ts";
import { integration, newUser, startGateway, type TestGateway, tokenFor } from "../fixtures.ts";
import {
  bodyGaps,
  type Doc,
  gaps,
  type Observed,
  type ParsedDocument,
  redoclyLint,
  resolve,
} from "./openapi_checks.ts";

// Test commands for statuses the demo commands never reach: a bug (500) and an RLS denial
// (403: users may not insert chat identities). Both go through the real pipeline.
const crash = defineCommand({
  name: "crash",
  description: "Throws, as a buggy command would",
  args: z.object({}),
  requires: "user",
  run: () => Promise.reject(new Error("bug")),
});
const trespass = defineCommand({
  name: "trespass",
  description: "Writes what RLS forbids",
  args: z.object({}),
  requires: "user",
  async run(ctx) {
    unwrap(
      await ctx.db.from("chat_identities")
        .insert({ provider: "telegram", external_id: "1", user_id: ctx.principal?.userId }),
    );
    return reply.text("unreachable");
  },
});
// Holds its Idempotency-Key claim until released, so a repeat meets it in progress (409).
let slowStarted = Promise.withResolvers<void>();
let slowRelease = Promise.withResolvers<void>();
const slow = defineCommand({
  name: "slow",
  description: "Waits until the test releases it",
  args: z.object({}),
  requires: "user",
  async run() {
    slowStarted.resolve();
    await slowRelease.promise;
    return reply.text("released");
  },
});
const COMMANDS = [...appCommands, crash, trespass, slow];

async function call(
  gw: TestGateway,
  label: string,
  method: string,
  path: string,
  init: RequestInit = {},
): Promise<Observed> {
  const res = await gw.request(path, { method, ...init });
  const text = await res.text();
  return { label, method, path, status: res.status, headers: res.headers, body: JSON.parse(text) };
}

/** Drives the gateway into every status it answers with over HTTPS; checks each was reached. */
async function observeEveryStatus(): Promise<Observed[]> {
  const gw = await startGateway({ commands: COMMANDS });
  const limited = await startGateway({ env: { GATEWAY_RATE_LIMIT_PER_MINUTE: "1" } });
  const down = await startGateway({ restUrl: `http://127.0.0.1:${freePort()}` });
  const token = await tokenFor(await newUser());
  const auth = { authorization: `Bearer ${token}` };
  const json = { ...auth, "content-type": "application/json" };
  const key = `openapi-${crypto.randomUUID()}`;
  const cases: (readonly [TestGateway, string, number, string, string, RequestInit?])[] = [
    [gw, "command", 200, "POST", "/commands/whoami", { headers: json, body: "{}" }],
    [gw, "no body", 200, "POST", "/commands/tasks", { headers: auth }],
    [gw, "first", 200, "POST", "/commands/add", {
      headers: { ...json, "idempotency-key": key },
      body: JSON.stringify({ title: "once" }),
    }],
    [gw, "replay", 200, "POST", "/commands/add", {
      headers: { ...json, "idempotency-key": key },
      body: JSON.stringify({ title: "once" }),
    }],
    [gw, "key reused", 409, "POST", "/commands/add", {
      headers: { ...json, "idempotency-key": key },
      body: JSON.stringify({ title: "other" }),
    }],
    [gw, "bad JSON", 400, "POST", "/commands/add", { headers: json, body: "{" }],
    [gw, "bad args", 400, "POST", "/commands/add", { headers: json, body: "{}" }],
    [gw, "bad key", 400, "POST", "/commands/whoami", {
      headers: { ...json, "idempotency-key": "with space" },
      body: "{}",
    }],
    [gw, "no token", 401, "POST", "/commands/add", { body: "{}" }],
    [gw, "bad token", 401, "POST", "/commands/add", {
      headers: { authorization: "Bearer x.y.z" },
      body: "{}",
    }],
    [gw, "RLS", 403, "POST", "/commands/trespass", { headers: json, body: "{}" }],
    [gw, "no such task", 404, "POST", "/commands/done", {
      headers: json,
      body: JSON.stringify({ id: 2 ** 40 }),
    }],
    [gw, "GET a command", 405, "GET", "/commands/add", { headers: auth }],
    [gw, "POST catalogue", 405, "POST", "/commands", { body: "{}" }],
    [gw, "POST health", 405, "POST", "/health"],
    [gw, "PUT openapi", 405, "PUT", "/openapi.json"],
    [gw, "big body", 413, "POST", "/commands/add", {
      headers: json,
      body: JSON.stringify({ title: "x".repeat(70_000) }),
    }],
    [gw, "text body", 415, "POST", "/commands/add", {
      headers: { ...auth, "content-type": "text/plain" },
      body: "title=x",
    }],
    [gw, "bug", 500, "POST", "/commands/crash", { headers: json, body: "{}" }],
    [gw, "catalogue", 200, "GET", "/commands"],
    [gw, "health", 200, "GET", "/health"],
    [gw, "document", 200, "GET", "/openapi.json"],
    // The bucket holds a burst of 5 and refills one a minute: the sixth call is refused.
    ...Array.from(
      { length: 5 },
      () => [limited, "burst", 200, "POST", "/commands/whoami", { headers: auth }] as const,
    ),
    [limited, "flood", 429, "POST", "/commands/whoami", { headers: auth }],
    [down, "db down", 503, "POST", "/commands/tasks", { headers: auth }],
    [down, "db down", 503, "GET", "/health"],
  ];
  const seen: Observed[] = [];
  const expect = async (answer: Promise<Observed>, status: number) => {
    const a = await answer;
    assertEquals(a.status, status, `${a.label}: ${a.method} ${a.path}`);
    seen.push(a);
  };
  try {
    for (const [target, label, expected, method, path, init] of cases) {
      await expect(call(target, label, method, path, init), expected);
    }
    [slowStarted, slowRelease] = [Promise.withResolvers(), Promise.withResolvers()];
    const busy = { headers: { ...json, "idempotency-key": `busy-${key}` }, body: "{}" };
    const first = call(gw, "holds the key", "POST", "/commands/slow", busy);
    await slowStarted.promise;
    await expect(call(gw, "key in progress", "POST", "/commands/slow", busy), 409);
    slowRelease.resolve();
    await expect(first, 200);
  } finally {
    await Promise.all([gw.close(), limited.close(), down.close()]);
  }
  assertEquals(seen.find((s) => s.label === "replay")?.headers.get("idempotent-replayed"), "true");
  return seen;
}

Deno.test("OpenAPI documents every status the gateway answers with", integration, async (t) => {
  const gw = await startGateway({ commands: COMMANDS });
  const doc: Doc = await (await gw.request("/openapi.json")).json();
  await gw.close();

  await t.step("every (path, method, status) reached is documented", async () => {
    const seen = await observeEveryStatus();
    const plain = await SwaggerParser.dereference(structuredClone(doc) as ParsedDocument) as Doc;
    const ajv = new Ajv2020({ strict: false });
    const problems = seen.flatMap((s) => [...gaps(doc, s), ...bodyGaps(plain, ajv, s)]);
    assertEquals(problems, []);
    assert(seen.some((s) => s.body.error && s.headers.has("retry-after") && s.status === 409));
    // The check itself notices a gap: drop one status and it is reported.
    const without = structuredClone(doc);
    delete without.paths["/commands/add"].post.responses["415"];
    assertEquals(seen.flatMap((s) => gaps(without, s)).length, 1);
    const wrong = structuredClone(plain);
    wrong.paths["/health"].get.responses["200"].content["application/json"].schema.properties
      .text = { const: "not ready" };
    assertEquals(seen.flatMap((s) => bodyGaps(wrong, ajv, s)).length, 1);
  });

  await t.step("504, 409 and the bearer rules are described", () => {
    const add = doc.paths["/commands/add"].post;
    const timeout = resolve(doc, add.responses["504"]);
    assert(timeout, "504 missing");
    const schema = resolve(doc, timeout.content["application/json"].schema);
    assertEquals(schema?.properties.error.properties.code.enum, [
      "upstream_timeout",
      "command_timeout",
    ]);
    assert(resolve(doc, add.responses["429"])?.headers["Retry-After"].required);
    assert(resolve(doc, add.responses["503"])?.headers["Retry-After"]);
    assertEquals(add.security, [{ bearerAuth: [] }]);
    assertEquals(doc.paths["/commands/help"].post.security, [{ bearerAuth: [] }, {}]);
    for (const path of ["/commands", "/health", "/openapi.json"]) {
      assertEquals(doc.paths[path].get.security, [], path);
    }
  });

  await t.step("swagger-parser validates it", async () => {
    await SwaggerParser.validate(structuredClone(doc) as ParsedDocument);
  });

  await t.step("Redocly's recommended rules: 0 errors", async () => {
    const problems = await redoclyLint(doc);
    assertEquals(problems.filter((p) => p.severity === "error"), []);
    // No license is chosen for the deployed document; every other warning is fixed.
    assertEquals(problems.map((p) => p.ruleId), ["info-license"]);
  });
});
