/**
 * `GET /openapi.json` against the real gateway: every (path, method, status) the HTTPS channel
 * answers with is documented, with the error codes and headers it carries; the document passes
 * swagger-parser's validation and Redocly's recommended lint with 0 errors.
 */
import SwaggerParser from "@apidevtools/swagger-parser";
import { z } from "zod";
import { freePort } from "../../dev/ports.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { unwrap } from "../../supabase/functions/_shared/db.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import { commands as appCommands } from "../../supabase/functions/gateway/commands/mod.ts";
import { assert, assertEquals } from "../assert.ts";
import { integration, newUser, startGateway, type TestGateway, tokenFor } from "../fixtures.ts";

// Two commands that reach statuses the demo commands never do: a bug (500) and an RLS denial
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
const COMMANDS = [...appCommands, crash, trespass];

/** One answer of the gateway, as the document must describe it. */
interface Observed {
  label: string;
  method: string;
  path: string;
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

// deno-lint-ignore no-explicit-any
type Doc = Record<string, any>;

/** swagger-parser's document type (it takes the parsed JSON as it is). */
type ParsedDocument = NonNullable<Parameters<SwaggerParser.ApiCallback>[1]>;

/** Follows a local `$ref` (`#/components/...`) once. */
function resolve(doc: Doc, node: Doc | undefined): Doc | undefined {
  if (!node?.$ref) return node;
  return (node.$ref as string).slice(2).split("/").reduce((n: Doc, k) => n?.[k], doc);
}

const ACTED_ON = ["retry-after", "allow", "www-authenticate", "idempotent-replayed"];
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** What the document gets wrong or leaves out about one answer (empty: fully described). */
function gaps(doc: Doc, seen: Observed): string[] {
  const at = `${seen.method} ${seen.path} ${seen.status} (${seen.label})`;
  const item = doc.paths?.[seen.path];
  if (!item) return [`${at}: path not documented`];
  if (seen.status === 405) {
    // Answered for a method the path lacks: every operation of the path documents the 405, and
    // the Allow header names exactly the documented methods.
    const ops = METHODS.filter((m) => item[m]);
    const missing = ops.filter((m) => !item[m].responses?.["405"]).map((m) => `${m} lacks 405`);
    const allow = (seen.headers.get("allow") ?? "").split(/,\s*/).map((m) => m.toLowerCase());
    if (allow.sort().join() !== ops.sort().join()) {
      missing.push(`Allow "${seen.headers.get("allow")}" but documented: ${ops.join(", ")}`);
    }
    return missing.map((m) => `${at}: ${m}`);
  }
  const op = item[seen.method.toLowerCase()];
  if (!op) return [`${at}: operation not documented`];
  const response = resolve(doc, op.responses?.[String(seen.status)]);
  if (!response) return [`${at}: status not documented`];
  const problems: string[] = [];
  const documented = Object.keys(response.headers ?? {}).map((h) => h.toLowerCase());
  for (const h of ACTED_ON) {
    if (seen.headers.has(h) && !documented.includes(h)) problems.push(`header ${h} undocumented`);
  }
  const schema = resolve(doc, response.content?.["application/json"]?.schema);
  if (!schema) problems.push("no JSON schema");
  if (seen.status >= 400 && schema) {
    const codes: string[] = schema.properties?.error?.properties?.code?.enum ?? [];
    const code = (seen.body.error as { code?: string } | undefined)?.code ?? "(none)";
    if (!codes.includes(code)) problems.push(`error code ${code} not among ${codes.join(", ")}`);
  }
  return problems.map((p) => `${at}: ${p}`);
}

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
  try {
    for (const [target, label, expected, method, path, init] of cases) {
      const answer = await call(target, label, method, path, init);
      assertEquals(answer.status, expected, `${label}: ${method} ${path}`);
      seen.push(answer);
    }
  } finally {
    await Promise.all([gw.close(), limited.close(), down.close()]);
  }
  assertEquals(seen[3].headers.get("idempotent-replayed"), "true");
  return seen;
}

Deno.test("OpenAPI documents every status the gateway answers with", integration, async (t) => {
  const gw = await startGateway({ commands: COMMANDS });
  const doc: Doc = await (await gw.request("/openapi.json")).json();
  await gw.close();

  await t.step("every (path, method, status) reached is documented", async () => {
    const seen = await observeEveryStatus();
    const problems = seen.flatMap((s) => gaps(doc, s));
    assertEquals(problems, []);
    // The check itself notices a gap: drop one status and it is reported.
    const without = structuredClone(doc);
    delete without.paths["/commands/add"].post.responses["415"];
    assertEquals(seen.flatMap((s) => gaps(without, s)).length, 1);
  });

  await t.step("504, 409 and the bearer rules are described", () => {
    const add = doc.paths["/commands/add"].post;
    const timeout = resolve(doc, add.responses["504"]);
    assert(timeout, "504 missing");
    const schema = resolve(doc, timeout.content["application/json"].schema);
    assertEquals(schema?.properties.error.properties.code.enum, ["upstream_timeout"]);
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

interface LintProblem {
  ruleId: string;
  severity: string;
  message: string;
  location?: { pointer: string }[];
}

/** Runs `redocly lint` (installed into tools/ by ./deno) on the document. */
async function redoclyLint(doc: Doc): Promise<LintProblem[]> {
  const cli = `${REPO_ROOT}/tools/node_modules/@redocly/cli/bin/cli.js`;
  await Deno.stat(cli).catch(() => {
    throw new Error(`${cli} is missing: run ./deno once to install the tools.`);
  });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/openapi.json`, JSON.stringify(doc, null, 2));
    const out = await new Deno.Command("node", {
      args: [cli, "lint", "--extends=recommended", "--format=json", "openapi.json"],
      cwd: dir,
      env: { REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (!text.trim().startsWith("{")) {
      throw new Error(`redocly lint failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
    }
    const report = JSON.parse(text) as { problems: LintProblem[] };
    return report.problems.map(({ ruleId, severity, message, location }) => ({
      ruleId,
      severity,
      message,
      location: location?.map((l) => ({ pointer: l.pointer })),
    }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
