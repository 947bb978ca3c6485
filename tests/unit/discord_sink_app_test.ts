/**
 * The Discord sink's applications: `GET`/`PATCH /applications/@me` for the application a bot
 * token belongs to (Discord's application object, 401 for any other token), an interactions
 * endpoint URL verified by signed PINGs as Discord verifies it (a good PING answered `{"type":1}`
 * and a bad signature refused with 401, else 400 Invalid Form Body), and commands of a known
 * application refused to another application's token (403 Missing Access).
 */
import assert from "node:assert/strict";
import { createSignatureCheck } from "../../adapters/discord/verify.ts";
import { createDiscordSink, type DiscordSink } from "../../dev/sinks/mod.ts";
import { discordKeys } from "../discord_fixtures.ts";

const A = { applicationId: "100000000000000011", botToken: "token-of-app-a" };
const B = { applicationId: "100000000000000012", botToken: "token-of-app-b" };

type Json = Record<string, unknown>;

async function call(
  sink: DiscordSink,
  method: string,
  path: string,
  token: string | null,
  body?: unknown,
) {
  const req = new Request(`http://sink.test/api/v10${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token === null ? {} : { authorization: `Bot ${token}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const res = await sink.handle(req, `/api/v10${path}`);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** An interactions endpoint: checks the signature as the gateway does, unless told not to. */
function serveEndpoint(publicKey: string, verify: boolean) {
  const check = createSignatureCheck(publicKey, Date.now);
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const body = await req.text();
    if (verify) {
      try {
        await check({
          signature: req.headers.get("x-signature-ed25519"),
          timestamp: req.headers.get("x-signature-timestamp"),
        }, body);
      } catch {
        return Response.json({ error: "invalid signature" }, { status: 401 });
      }
    }
    return Response.json({ type: 1 });
  });
  return { url: `http://127.0.0.1:${server.addr.port}/interactions`, server };
}

Deno.test("discord sink applications", async (t) => {
  const keysA = await discordKeys();
  const keysB = await discordKeys();
  const pkcs8 = btoa(String.fromCharCode(
    ...new Uint8Array(await crypto.subtle.exportKey("pkcs8", keysA.privateKey)),
  ));
  const sink = createDiscordSink();
  sink.registerApplication({
    ...A,
    publicKey: keysA.publicKeyHex,
    privateKey: pkcs8,
    name: "App A",
  });
  sink.registerApplication({ ...B, publicKey: keysB.publicKeyHex });
  const good = serveEndpoint(keysA.publicKeyHex, true);
  const lax = serveEndpoint(keysA.publicKeyHex, false);
  const wrongKey = serveEndpoint(keysB.publicKeyHex, true);
  const invalidUrl = (body: Json) =>
    ((body.errors as Json).interactions_endpoint_url as Json)._errors;

  try {
    await t.step(
      "GET /applications/@me: the token's application, as Discord shapes it",
      async () => {
        const res = await call(sink, "GET", "/applications/@me", A.botToken);
        assert.equal(res.status, 200);
        const app = res.body as Json;
        assert.equal(app.id, A.applicationId);
        assert.equal(app.name, "App A");
        assert.equal(app.verify_key, keysA.publicKeyHex);
        assert.equal(app.interactions_endpoint_url, null);
        assert.equal((app.bot as Json).id, A.applicationId);
        for (
          const field of ["icon", "description", "bot_public", "flags", "team", "redirect_uris"]
        ) {
          assert.ok(field in app, field);
        }
        const b = await call(sink, "GET", "/applications/@me", B.botToken);
        assert.equal((b.body as Json).id, B.applicationId);
      },
    );

    await t.step("an unknown or missing token: 401 as Discord answers", async () => {
      for (const token of ["nobody's token", null]) {
        const res = await call(sink, "GET", "/applications/@me", token);
        assert.equal(res.status, 401);
        assert.deepEqual(res.body, { message: "401: Unauthorized", code: 0 });
      }
      const patch = await call(sink, "PATCH", "/applications/@me", "nope", { description: "x" });
      assert.equal(patch.status, 401);
    });

    await t.step("an endpoint that checks signatures is accepted", async () => {
      const res = await call(sink, "PATCH", "/applications/@me", A.botToken, {
        interactions_endpoint_url: good.url,
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal((res.body as Json).interactions_endpoint_url, good.url);
      assert.equal(sink.application(A.applicationId)?.interactions_endpoint_url, good.url);
    });

    await t.step("an endpoint that skips the check, or checks another key: 400", async () => {
      for (const url of [lax.url, wrongKey.url, "http://127.0.0.1:9/unreachable"]) {
        const res = await call(sink, "PATCH", "/applications/@me", A.botToken, {
          interactions_endpoint_url: url,
        });
        assert.equal(res.status, 400, url);
        assert.equal(res.body.code, 50035);
        assert.equal(res.body.message, "Invalid Form Body");
        assert.deepEqual(invalidUrl(res.body), [{
          code: "APPLICATION_INTERACTIONS_ENDPOINT_URL_INVALID",
          message: "The specified interactions endpoint url could not be verified.",
        }]);
      }
      assert.equal(sink.application(A.applicationId)?.interactions_endpoint_url, good.url);
    });

    await t.step("malformed edits are refused field by field", async () => {
      const res = await call(sink, "PATCH", "/applications/@me", A.botToken, {
        interactions_endpoint_url: "not a url",
        description: "x".repeat(401),
        tags: ["a", "b", "c", "d", "e", "f"],
      });
      assert.equal(res.status, 400);
      assert.deepEqual(Object.keys(res.body.errors).sort(), [
        "description",
        "interactions_endpoint_url",
        "tags",
      ]);
      const http = await call(sink, "PATCH", "/applications/@me", A.botToken, {
        interactions_endpoint_url: "http://example.com/interactions",
      });
      assert.equal(http.status, 400, "plain http only on loopback");
    });

    await t.step("without the private key any URL is accepted; null clears it", async () => {
      const set = await call(sink, "PATCH", "/applications/@me", B.botToken, {
        interactions_endpoint_url: "https://example.com/interactions",
        description: "B",
      });
      assert.equal(set.status, 200);
      assert.equal((set.body as Json).description, "B");
      const cleared = await call(sink, "PATCH", "/applications/@me", B.botToken, {
        interactions_endpoint_url: null,
      });
      assert.equal((cleared.body as Json).interactions_endpoint_url, null);
    });

    await t.step("commands of a known application need its own token", async () => {
      const path = `/applications/${A.applicationId}/commands`;
      const body = [{ name: "ping", description: "Ping" }];
      const other = await call(sink, "PUT", path, B.botToken, body);
      assert.equal(other.status, 403);
      assert.deepEqual(other.body, { message: "Missing Access", code: 50001 });
      const unknown = await call(sink, "GET", path, "nobody's token");
      assert.equal(unknown.status, 401);
      assert.deepEqual(sink.commands(A.applicationId), [], "nothing stored");
      assert.equal((await call(sink, "PUT", path, A.botToken, body)).status, 200);
      const guild = `/applications/${A.applicationId}/guilds/900000000000000001/commands`;
      assert.equal((await call(sink, "PUT", guild, B.botToken, body)).status, 403);
      // An application the sink was never told about stays open, as before.
      const loose = await call(sink, "PUT", "/applications/100000000000000099/commands", "t", body);
      assert.equal(loose.status, 200);
    });

    await t.step("reset forgets the endpoint URLs set, not the applications", async () => {
      sink.reset();
      const res = await call(sink, "GET", "/applications/@me", A.botToken);
      assert.equal(res.status, 200);
      assert.equal((res.body as Json).interactions_endpoint_url, null);
    });
  } finally {
    await Promise.all([good.server.shutdown(), lax.server.shutdown(), wrongKey.server.shutdown()]);
  }
});
