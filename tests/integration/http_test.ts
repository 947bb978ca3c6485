/**
 * The HTTPS channel against the real stack: RLS isolation, token rejection, bad input, the
 * Idempotency-Key ledger, the catalogue and a web-app style supabase-js call.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { SignJWT } from "jose";
import {
  ALICE,
  integration,
  newUser,
  psql,
  runCommand,
  stackSetting,
  startGateway,
  taskCount,
  tokenFor,
  webClient,
} from "../fixtures.ts";

Deno.test("a task added with a user's token is theirs alone", integration, async (t) => {
  const gw = await startGateway();
  const [alice, bob] = [await newUser(), await newUser()];
  const [aliceToken, bobToken] = [await tokenFor(alice), await tokenFor(bob)];
  let taskId = 0;

  await t.step("alice adds a task; the row is hers even if she names bob", async () => {
    const res = await runCommand(gw, aliceToken, "add", { title: "Buy milk", user_id: bob.id });
    assertEquals(res.status, 200);
    assertEquals(res.body.ok, true);
    const data = res.body.data as { id: number; title: string; source: string };
    taskId = data.id;
    assertEquals(data.title, "Buy milk");
    assertEquals(data.source, "http");
    assertEquals(await psql(`select user_id from tasks where id = ${taskId}`), alice.id);
  });

  await t.step("bob never sees it", async () => {
    const res = await runCommand(gw, bobToken, "tasks");
    assertEquals(res.status, 200);
    assertEquals(res.body.data, []);
  });

  await t.step("bob cannot complete it", async () => {
    const res = await runCommand(gw, bobToken, "done", { id: taskId });
    assertEquals(res.status, 404);
    assertEquals((res.body.error as { code: string }).code, "not_found");
    assertEquals(await psql(`select done from tasks where id = ${taskId}`), "f");
  });

  await t.step("bob cannot edit it through PostgREST either", async () => {
    const { data } = await webClient(bobToken).from("tasks").update({ title: "hacked" })
      .eq("id", taskId).select();
    assertEquals(data, []);
    assertEquals(await psql(`select title from tasks where id = ${taskId}`), "Buy milk");
  });

  await t.step("alice sees and completes it", async () => {
    const list = await runCommand(gw, aliceToken, "tasks");
    assertEquals((list.body.data as { id: number }[]).map((r) => r.id), [taskId]);
    const done = await runCommand(gw, aliceToken, "done", { id: taskId });
    assertEquals(done.status, 200);
    assertEquals(await psql(`select done from tasks where id = ${taskId}`), "t");
  });
  await gw.close();
});

Deno.test("bad tokens get 401 and change nothing", integration, async (t) => {
  const gw = await startGateway();
  const user = await newUser();
  const issuer = `${stackSetting("SUPABASE_URL")}/auth/v1`;
  const now = Math.floor(Date.now() / 1000);
  const base = {
    iss: issuer,
    sub: user.id,
    aud: "authenticated",
    role: "authenticated",
    iat: now,
    exp: now + 600,
    email: user.email,
  };
  const otherKey = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  ) as CryptoKeyPair;
  const signingJwk = JSON.parse(stackSetting("GATEWAY_SIGNING_KEY"));
  const publicPem = JSON.stringify({ kty: "EC", crv: "P-256", x: signingJwk.x, y: signingJwk.y });
  const secret = new TextEncoder().encode(stackSetting("GATEWAY_JWT_SECRET"));
  const b64 = (o: unknown) =>
    btoa(JSON.stringify(o)).replace(/=+$/, "").replace(/\+/g, "-")
      .replace(/\//g, "_");

  const cases: [string, () => Promise<string | null>, string][] = [
    [
      "forged signature (another key, same kid)",
      () =>
        new SignJWT(base).setProtectedHeader({ alg: "ES256", kid: signingJwk.kid })
          .sign(otherKey.privateKey),
      "invalid_token",
    ],
    [
      "expired",
      () => tokenFor(user, { now: Date.now() - 7200_000, ttlSeconds: 3600 }),
      "invalid_token",
    ],
    ["not yet valid", () => tokenFor(user, { claims: { nbf: now + 3600 } }), "invalid_token"],
    ["wrong audience", () => tokenFor(user, { claims: { aud: "someone-else" } }), "invalid_token"],
    [
      "wrong issuer",
      () => tokenFor(user, { claims: { iss: "https://evil.example/auth/v1" } }),
      "invalid_token",
    ],
    [
      "alg none",
      () => Promise.resolve(`${b64({ alg: "none", typ: "JWT" })}.${b64(base)}.`),
      "invalid_token",
    ],
    [
      "HS256 signed with the ES256 public key as secret",
      () =>
        new SignJWT(base).setProtectedHeader({ alg: "HS256" })
          .sign(new TextEncoder().encode(publicPem)),
      "invalid_token",
    ],
    // A signed-out caller: refused for a command that needs a user (see the test below).
    ["anon role", () => tokenFor(user, { claims: { role: "anon" } }), "missing_token"],
    [
      "service role (HS256, the project's secret)",
      () =>
        new SignJWT({ ...base, role: "service_role" }).setProtectedHeader({ alg: "HS256" })
          .sign(secret),
      "invalid_token",
    ],
    ["subject not a uuid", () => tokenFor(user, { claims: { sub: "admin" } }), "invalid_token"],
    ["missing header", () => Promise.resolve(null), "missing_token"],
    ["garbage header", () => Promise.resolve("not a token at all"), "invalid_token"],
  ];
  for (const [name, make, code] of cases) {
    await t.step(name, async () => {
      const token = await make();
      const before = await taskCount(user.id);
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (token !== null) {
        headers.authorization = name === "garbage header" ? token : `Bearer ${token}`;
      }
      const res = await gw.request("/commands/add", {
        method: "POST",
        headers,
        body: JSON.stringify({ title: "should not exist" }),
      });
      const body = await res.json();
      assertEquals(res.status, 401);
      assertEquals(body.ok, false);
      assertEquals(body.error.code, code);
      assertEquals(typeof body.error.message, "string");
      assertEquals(await taskCount(user.id), before);
    });
  }
  await t.step("no token or secret reaches the logs", () => {
    const all = gw.logs.join("\n");
    assert(!all.includes(stackSetting("GATEWAY_JWT_SECRET")));
    assert(!all.includes("eyJ"), "a JWT appeared in the logs");
  });
  await gw.close();
});

Deno.test("signed-out callers run only requires-none commands", integration, async (t) => {
  const gw = await startGateway();
  const anonKey = stackSetting("SUPABASE_ANON_KEY");
  const ask = (name: string, bearer: string | null) =>
    runCommand(gw, null, name, {}, bearer === null ? {} : { authorization: `Bearer ${bearer}` });
  for (
    const [who, bearer] of [
      ["no Authorization header", null],
      ["the anon key (supabase-js signed out)", anonKey],
      ["a publishable key", "sb_publishable_AbCdEf0123456789"],
    ] as const
  ) {
    await t.step(who, async () => {
      const help = await ask("help", bearer);
      assertEquals(help.status, 200);
      assertMatch(String(help.body.text), /\/tasks/);
      const tasks = await ask("tasks", bearer);
      assertEquals(tasks.status, 401);
      assertEquals((tasks.body.error as { code: string }).code, "missing_token");
      assertMatch((tasks.body.error as { message: string }).message, /Sign in first/);
    });
  }
  await t.step("the service-role key stays refused", async () => {
    const res = await ask("help", stackSetting("SUPABASE_SERVICE_ROLE_KEY"));
    assertEquals(res.status, 401);
    assertEquals((res.body.error as { code: string }).code, "invalid_token");
  });
  await gw.close();
});

Deno.test("bad input gets the contract's errors", integration, async (t) => {
  const gw = await startGateway();
  const user = await newUser();
  const token = await tokenFor(user);
  const expectError = async (
    res: { status: number; body: Record<string, unknown> },
    status: number,
    code: string,
  ) => {
    assertEquals(res.status, status);
    assertEquals((res.body.error as { code: string }).code, code);
    assertEquals(await taskCount(user.id), 0);
  };
  await t.step("malformed JSON: 400", async () => {
    await expectError(await runCommand(gw, token, "add", '{"title": '), 400, "bad_json");
  });
  await t.step("wrong argument types: 400 naming the field", async () => {
    const res = await runCommand(gw, token, "add", { title: 42 });
    await expectError(res, 400, "invalid_args");
    assertMatch((res.body.error as { message: string }).message, /title/);
  });
  await t.step("empty and oversized titles: 400", async () => {
    await expectError(await runCommand(gw, token, "add", { title: "  " }), 400, "invalid_args");
    await expectError(
      await runCommand(gw, token, "add", { title: "x".repeat(501) }),
      400,
      "invalid_args",
    );
  });
  await t.step("an array body: 400", async () => {
    await expectError(await runCommand(gw, token, "add", [1, 2]), 400, "invalid_args");
  });
  await t.step("unknown command: 404", async () => {
    await expectError(await runCommand(gw, token, "launch-rockets"), 404, "unknown_command");
  });
  await t.step("a chat-only command over HTTPS: 404", async () => {
    await expectError(
      await runCommand(gw, token, "link", { code: "ABCDEFGHJK" }),
      404,
      "unknown_command",
    );
  });
  await t.step("body over 64 KiB: 413", async () => {
    const big = JSON.stringify({ title: "x", pad: "y".repeat(70 * 1024) });
    await expectError(await runCommand(gw, token, "add", big), 413, "payload_too_large");
  });
  await t.step("wrong method: 405", async () => {
    const res = await gw.request("/commands/add", {
      method: "GET",
      headers: { authorization: `Bearer ${token}` },
    });
    assertEquals(res.status, 405);
    assertEquals((await res.json()).error.code, "method_not_allowed");
  });
  await gw.close();
});

Deno.test("Idempotency-Key runs a command once", integration, async (t) => {
  const gw = await startGateway();
  const user = await newUser();
  const token = await tokenFor(user);

  await t.step("the same key twice: one row, the same answer", async () => {
    const key = crypto.randomUUID();
    const first = await runCommand(gw, token, "add", { title: "Once" }, { "idempotency-key": key });
    const second = await runCommand(gw, token, "add", { title: "Once" }, {
      "idempotency-key": key,
    });
    assertEquals(first.status, 200);
    assertEquals(second.status, 200);
    assertEquals(second.body, first.body);
    assertEquals(second.headers.get("idempotent-replayed"), "true");
    assertEquals(await taskCount(user.id), 1);
  });

  await t.step("the same key concurrently: one row, the other 409", async () => {
    const key = crypto.randomUUID();
    const results = await Promise.all(
      Array.from(
        { length: 4 },
        () => runCommand(gw, token, "add", { title: "Race" }, { "idempotency-key": key }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    assert(statuses.includes(200), `statuses ${statuses}`);
    for (const r of results.filter((r) => r.status !== 200)) {
      assertEquals(r.status, 409);
      assertEquals((r.body.error as { code: string }).code, "idempotency_in_progress");
    }
    assertEquals(
      await psql(`select count(*) from tasks where user_id = '${user.id}' and title = 'Race'`),
      "1",
    );
  });

  await t.step("the same key with other arguments: 409, nothing written", async () => {
    const key = crypto.randomUUID();
    await runCommand(gw, token, "add", { title: "First" }, { "idempotency-key": key });
    const other = await runCommand(gw, token, "add", { title: "Second" }, {
      "idempotency-key": key,
    });
    assertEquals(other.status, 409);
    assertEquals((other.body.error as { code: string }).code, "idempotency_key_reused");
    assertEquals(
      await psql(`select count(*) from tasks where user_id = '${user.id}' and title = 'Second'`),
      "0",
    );
  });

  await t.step("the longest allowed key works; a longer one is a 400", async () => {
    const longest = "k".repeat(200);
    const ok = await runCommand(gw, token, "add", { title: "Long key" }, {
      "idempotency-key": longest,
    });
    assertEquals(ok.status, 200);
    const tooLong = await runCommand(gw, token, "add", { title: "x" }, {
      "idempotency-key": longest + "k",
    });
    assertEquals(tooLong.status, 400);
  });

  await t.step("another user's identical key is independent", async () => {
    const other = await newUser();
    const key = "shared-key";
    await runCommand(gw, token, "add", { title: "Mine" }, { "idempotency-key": key });
    const res = await runCommand(gw, await tokenFor(other), "add", { title: "Mine" }, {
      "idempotency-key": key,
    });
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("idempotent-replayed"), null);
    assertEquals(await taskCount(other.id), 1);
  });
  await gw.close();
});

Deno.test("catalogue, OpenAPI, health and CORS", integration, async (t) => {
  const gw = await startGateway({ env: { GATEWAY_CORS_ORIGINS: "https://app.example.com" } });
  await t.step("GET /commands lists HTTPS commands with JSON Schemas", async () => {
    const body = await (await gw.request("/commands")).json();
    const names = body.data.map((c: { name: string }) => c.name);
    for (const name of ["whoami", "tasks", "add", "done", "link-code", "help"]) {
      assert(names.includes(name), `${name} missing`);
    }
    assert(!names.includes("link"), "chat-only command listed");
    const add = body.data.find((c: { name: string }) => c.name === "add");
    assertEquals(add.args.properties.title.maxLength, 500);
    assertEquals(add.args.required, ["title"]);
  });
  await t.step("GET /openapi.json is OpenAPI 3.1 with every command", async () => {
    const doc = await (await gw.request("/openapi.json")).json();
    assertEquals(doc.openapi, "3.1.0");
    assert(doc.paths["/commands/add"].post.requestBody);
    assertEquals(
      doc.paths["/commands/done"].post.requestBody.content["application/json"].schema
        .properties.id.type,
      "integer",
    );
  });
  await t.step("link-code says what to send on each platform that links", async () => {
    const { status, body } = await runCommand(gw, await tokenFor(await newUser()), "link-code");
    assertEquals(status, 200);
    const { code, links, send } = body.data as {
      code: string;
      links: { telegram: Record<string, string> };
      send: Record<string, string[]>;
    };
    assert("default" in links.telegram);
    assertEquals(send, {
      telegram: [`/link ${code}`],
      discord: [`/link code:${code}`],
      slack: [`/link ${code}`, `/staging-link ${code}`], // the local stack's two Slack apps
    });
    for (const line of Object.values(send).flat()) assert(String(body.text).includes(line), line);
  });
  await t.step("GET /health: ready", async () => {
    const res = await gw.request("/health");
    assertEquals(res.status, 200);
    assertEquals((await res.json()).data.database, "reachable");
  });
  await t.step("preflight from an allowed origin", async () => {
    const res = await gw.request("/commands/add", {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST" },
    });
    assertEquals(res.status, 204);
    assertEquals(res.headers.get("access-control-allow-origin"), "https://app.example.com");
    assertMatch(res.headers.get("access-control-allow-headers") ?? "", /idempotency-key/);
  });
  await t.step("no CORS headers for another origin", async () => {
    const res = await gw.request("/health", { headers: { origin: "https://evil.example" } });
    await res.body?.cancel();
    assertEquals(res.headers.get("access-control-allow-origin"), null);
  });
  await t.step("unknown route: 404 JSON", async () => {
    const res = await gw.request("/nope");
    assertEquals(res.status, 404);
    assertEquals((await res.json()).ok, false);
  });
  await gw.close();
});

Deno.test("a web-app client calls a command with functions.invoke", integration, async () => {
  const token = await tokenFor(ALICE);
  const { data, error } = await webClient(token).functions.invoke("gateway/commands/whoami", {
    body: {},
  });
  assertEquals(error, null);
  assertEquals(data.ok, true);
  assertEquals(data.data.user_id, ALICE.id);
  assertEquals(data.data.email, ALICE.email);
});

Deno.test("a flood from one user gets 429 with Retry-After", integration, async () => {
  const gw = await startGateway({ env: { GATEWAY_RATE_LIMIT_PER_MINUTE: "6" } });
  const token = await tokenFor(await newUser());
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  for (let i = 0; i < 7; i++) {
    const res = await runCommand(gw, token, "whoami");
    statuses.push(res.status);
    if (res.status === 429) {
      retryAfter = res.headers.get("retry-after");
      assertEquals((res.body.error as { code: string }).code, "rate_limited");
    }
  }
  assertEquals(statuses, [200, 200, 200, 200, 200, 429, 429]);
  assert(Number(retryAfter) >= 1, `Retry-After ${retryAfter}`);
  await gw.close();
});
