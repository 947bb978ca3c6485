/**
 * Integration test of the local stack library: a fresh PostgreSQL (platform SQL and the repo's
 * migrations), the real PostgREST trusting the dev JWKS, and the front door in front of both.
 * Everything runs in a throwaway state folder `.local/test-stack-<random>`, on free ports.
 *
 * Run: `deno test -A tests/integration/stack_test.ts`
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { importJWK, SignJWT } from "jose";
import { loadOrCreateDevKeys, postgrestJwks, publicJwks } from "../../dev/keys.ts";
import { startPostgres } from "../../dev/postgres.ts";
import { startPostgrest } from "../../dev/postgrest.ts";
import { serveFrontDoor } from "../../dev/front_door.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { freePort } from "../../dev/ports.ts";

Deno.test({
  name: "local stack: postgres + postgrest + front door",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const stateDir = `${REPO_ROOT}/.local/test-stack-${crypto.randomUUID().slice(0, 8)}`;
    const keys = await loadOrCreateDevKeys(stateDir);
    const pg = await startPostgres({ stateDir, port: freePort(), reset: true });
    const cleanup: Array<() => Promise<void>> = [pg.stop];
    try {
      assert(pg.fresh, "a reset database is fresh");
      await pg.psql(`
        create function public.stack_test_claims(note text default null) returns jsonb
        language sql stable as $$
          select jsonb_build_object('uid', auth.uid(), 'role', auth.role(),
                                    'aud', auth.jwt() ->> 'aud', 'note', note)
        $$;`);
      const rest = await startPostgrest({
        port: freePort(),
        dbUrl: pg.authenticatorUrl,
        jwks: postgrestJwks(keys),
        stateDir,
      });
      cleanup.unshift(rest.stop);
      const door = serveFrontDoor({
        port: 0,
        restUrl: rest.url,
        publicJwks: publicJwks(keys),
        mounts: [{
          prefix: "/functions/v1/echo",
          handler: (req) => Response.json({ path: new URL(req.url).pathname }),
        }],
      });
      cleanup.unshift(door.shutdown);

      const call = (path: string, token: string, body?: unknown) =>
        fetch(`${door.url}${path}`, {
          method: body === undefined ? "GET" : "POST",
          headers: {
            apikey: keys.anonKey,
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const claims = async (token: string) => {
        const res = await call("/rest/v1/rpc/stack_test_claims", token, { note: "hi" });
        return { status: res.status, body: await res.json() };
      };

      await t.step("key file is private", async () => {
        assertEquals((await Deno.stat(`${stateDir}/keys.json`)).mode! & 0o777, 0o600);
      });

      await t.step("anon key: GET /rest/v1/ is 200", async () => {
        const res = await call("/rest/v1/", keys.anonKey);
        await res.body?.cancel();
        assertEquals(res.status, 200);
      });

      await t.step("HS256 service-role key works", async () => {
        const { status, body } = await claims(keys.serviceRoleKey);
        assertEquals(status, 200);
        assertEquals(body.role, "service_role");
        assertEquals(body.note, "hi");
      });

      await t.step("ES256 user token: auth.uid() is its sub", async () => {
        const sub = crypto.randomUUID();
        const { status, body } = await claims(await userToken(keys.signingKey, sub));
        assertEquals(status, 200);
        assertEquals(body, { uid: sub, role: "authenticated", aud: "authenticated", note: "hi" });
      });

      await t.step("a token signed by another key is 401", async () => {
        const pair = await crypto.subtle.generateKey(
          { name: "ECDSA", namedCurve: "P-256" },
          true,
          ["sign"],
        );
        const other = await crypto.subtle.exportKey("jwk", pair.privateKey);
        const forged = { ...other, kid: keys.signingKey.kid };
        const res = await call("/rest/v1/", await userToken(forged, crypto.randomUUID()));
        await res.body?.cancel();
        assertEquals(res.status, 401);
      });

      await t.step("jwks.json serves the public key only", async () => {
        const res = await fetch(`${door.url}/auth/v1/.well-known/jwks.json`);
        assert(res.headers.get("cache-control")?.includes("max-age"));
        const jwks = await res.json();
        assertEquals(jwks.keys.length, 1);
        const [key] = jwks.keys;
        assertEquals([key.kty, key.alg, key.use, key.kid], [
          "EC",
          "ES256",
          "sig",
          keys.signingKey.kid,
        ]);
        assert(!("d" in key) && !("k" in key), "no private or symmetric material");
      });

      await t.step("mounts get the original request; unknown paths are 404", async () => {
        const res = await fetch(`${door.url}/functions/v1/echo/x?y=1`);
        assertEquals(await res.json(), { path: "/functions/v1/echo/x" });
        const miss = await fetch(`${door.url}/nope`);
        assertEquals(miss.status, 404);
        assert((await miss.json()).message);
      });

      await t.step("PostgREST down gives 503; start() brings it back", async () => {
        await rest.stop();
        const down = await call("/rest/v1/", keys.anonKey);
        assertEquals(down.status, 503);
        assertEquals(await down.json(), { message: "PostgREST unavailable" });
        await rest.start();
        const up = await call("/rest/v1/", keys.anonKey);
        await up.body?.cancel();
        assertEquals(up.status, 200);
      });
    } finally {
      for (const stop of cleanup) await stop().catch(() => {});
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    }
  },
});

/** A Supabase-style access token for `sub`, signed ES256 with `jwk`. */
async function userToken(jwk: JsonWebKey & { kid?: string }, sub: string): Promise<string> {
  const key = await importJWK({ ...jwk, alg: "ES256" }, "ES256");
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT({ role: "authenticated", aal: "aal1", is_anonymous: false })
    .setProtectedHeader({ alg: "ES256", kid: jwk.kid, typ: "JWT" })
    .setSubject(sub)
    .setAudience("authenticated")
    .setIssuer("http://127.0.0.1:54321/auth/v1")
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(key);
}
