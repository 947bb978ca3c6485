/**
 * Token verification and session minting, without a server: keys are generated here, the JWKS is
 * inline or served by a fake fetch, and time is driven by an injected clock.
 */
import { decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from "jose";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { createSessionMinter } from "../../supabase/functions/_shared/auth/mint.ts";
import { createAccessTokenVerifier } from "../../supabase/functions/_shared/auth/verify.ts";
import { loadConfig } from "../../supabase/functions/_shared/config.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { BASE_ENV as ENV, identity, ISSUER, USER } from "../auth_fixtures.ts";

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const priv = { ...(await exportJWK(privateKey)), kid, alg: "ES256" };
  const pub = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
  return { privateKey, priv, pub, kid };
}

function sign(key: CryptoKey, kid: string, claims: Record<string, unknown>) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: ISSUER,
    sub: USER,
    aud: "authenticated",
    role: "authenticated",
    iat: now,
    exp: now + 600,
    ...claims,
  }).setProtectedHeader({ alg: "ES256", kid }).sign(key);
}

const isInvalid = (e: unknown) => e instanceof GatewayError && e.status === 401;

Deno.test("verify: accepts a good token and caches it", async () => {
  const k = await keyPair("k1");
  let clock = Date.now();
  const verify = createAccessTokenVerifier({
    issuer: ISSUER,
    jwks: { keys: [k.pub] },
    now: () => clock,
  });
  const token = await sign(k.privateKey, k.kid, { email: "a@b.c" });
  assertEquals((await verify(token)).sub, USER);
  assertEquals((await verify(token)).email, "a@b.c");
  clock += 700_000; // past exp: the cached entry must not be served
  await assertRejects(() => verify(token), isInvalid);
});

Deno.test("verify: fetches the JWKS once and again for a new kid", async () => {
  const [k1, k2] = [await keyPair("k1"), await keyPair("k2")];
  let published = [k1.pub];
  let fetches = 0;
  let clock = Date.now();
  const fakeFetch = (() => {
    fetches++;
    return Promise.resolve(Response.json({ keys: published }));
  }) as typeof fetch;
  const verify = createAccessTokenVerifier({
    issuer: ISSUER,
    jwksUrl: "https://abc.supabase.co/auth/v1/.well-known/jwks.json",
    fetch: fakeFetch,
    now: () => clock,
  });
  await verify(await sign(k1.privateKey, "k1", {}));
  await verify(await sign(k1.privateKey, "k1", { email: "other" }));
  assertEquals(fetches, 1);
  published = [k1.pub, k2.pub];
  clock += 31_000; // after the refetch cooldown, an unknown kid triggers one refetch
  await verify(await sign(k2.privateKey, "k2", {}));
  assertEquals(fetches, 2);
});

Deno.test("verify: an unreachable JWKS is a 503, not a 401", async () => {
  const k = await keyPair("k1");
  const verify = createAccessTokenVerifier({
    issuer: ISSUER,
    jwksUrl: "https://abc.supabase.co/auth/v1/.well-known/jwks.json",
    fetch: (() => Promise.reject(new TypeError("connection refused"))) as typeof fetch,
  });
  await assertRejects(
    async () => verify(await sign(k.privateKey, "k1", {})),
    (e) => e instanceof GatewayError && e.status === 503,
  );
});

Deno.test("mint: Supabase's claims plus the gateway claim, verifiable by the verifier", async () => {
  const k = await keyPair("gw-1");
  const { signingKey } = loadConfig({ ...ENV, GATEWAY_SIGNING_KEY: JSON.stringify(k.priv) });
  const minter = createSessionMinter({ issuer: ISSUER, signingKey, ttlSeconds: 120 });
  const { token, expiresAt } = await minter.mint(identity);
  const header = decodeProtectedHeader(token);
  assertEquals(header.alg, "ES256");
  assertEquals(header.kid, "gw-1");
  const claims = decodeJwt(token);
  assertEquals(claims.iss, ISSUER);
  assertEquals(claims.sub, USER);
  assertEquals(claims.aud, "authenticated");
  assertEquals(claims.role, "authenticated");
  assertEquals(claims.email, "alice@example.com");
  assertEquals(claims.phone, "");
  assertEquals(claims.app_metadata, identity.appMetadata);
  assertEquals(claims.user_metadata, identity.userMetadata);
  assertEquals(claims.aal, "aal1");
  assertEquals((claims.amr as { method: string }[])[0].method, "telegram");
  assertEquals(claims.is_anonymous, false);
  assertEquals(claims.gateway, { channel: "telegram", external_id: "7001" });
  assertEquals(claims.session_id, undefined);
  assertEquals(claims.exp! - claims.iat!, 120);
  assertEquals(expiresAt, claims.exp);
  const verify = createAccessTokenVerifier({ issuer: ISSUER, jwks: { keys: [k.pub] } });
  assertEquals((await verify(token)).sub, USER);
});

Deno.test("mint: reused until 30 s before expiry; forget drops it", async () => {
  let clock = Date.now();
  const minter = createSessionMinter({
    issuer: ISSUER,
    jwtSecret: "s".repeat(40),
    ttlSeconds: 120,
    now: () => clock,
  });
  const first = await minter.mint(identity);
  clock += 60_000;
  assertEquals((await minter.mint(identity)).token, first.token);
  clock += 31_000; // 91 s in: within 30 s of expiry
  const second = await minter.mint(identity);
  assert(second.token !== first.token, "token not renewed near expiry");
  minter.forget("telegram", "7001");
  clock += 1_000; // HS256 is deterministic: a new token differs only by its times
  const third = await minter.mint(identity);
  assert(third.token !== second.token, "forget did not drop the token");
  assertEquals(decodeProtectedHeader(third.token).alg, "HS256");
});

Deno.test("mint: the access token hook's claims are used", async () => {
  const minter = createSessionMinter({
    issuer: ISSUER,
    jwtSecret: "s".repeat(40),
    ttlSeconds: 120,
    customizeClaims: (event) => {
      assertEquals(event.user_id, USER);
      assertEquals(event.authentication_method, "telegram");
      return Promise.resolve({ ...event.claims, user_role: "admin" });
    },
  });
  assertEquals(decodeJwt((await minter.mint(identity)).token).user_role, "admin");
});

Deno.test("verify: a kid the inline set lacks fetches the JWKS URL, rate-limited", async () => {
  const [inline, rotated] = [await keyPair("inline"), await keyPair("rotated")];
  let fetches = 0;
  let clock = Date.now();
  const verify = createAccessTokenVerifier({
    issuer: ISSUER,
    jwks: { keys: [inline.pub] },
    jwksUrl: "https://abc.supabase.co/auth/v1/.well-known/jwks.json",
    fetch: (() => {
      fetches++;
      return Promise.resolve(Response.json({ keys: [inline.pub, rotated.pub] }));
    }) as typeof fetch,
    now: () => clock,
  });
  await verify(await sign(inline.privateKey, "inline", {}));
  assertEquals(fetches, 0);
  assertEquals((await verify(await sign(rotated.privateKey, "rotated", {}))).sub, USER);
  assertEquals(fetches, 1);
  const stranger = await keyPair("stranger");
  await assertRejects(
    async () => verify(await sign(stranger.privateKey, "stranger", {})),
    isInvalid,
  );
  await assertRejects(
    async () => verify(await sign(stranger.privateKey, "stranger", {})),
    isInvalid,
  );
  assertEquals(fetches, 1); // within the cooldown: no second fetch
  clock += 31_000;
  await assertRejects(
    async () => verify(await sign(stranger.privateKey, "stranger", {})),
    isInvalid,
  );
  assertEquals(fetches, 2);
});

Deno.test("verify: a cached token stops when its key leaves the fetched JWKS", async (t) => {
  const [old, next] = [await keyPair("old"), await keyPair("next")];
  let published = [old.pub];
  let reachable = true;
  let fetches = 0;
  let clock = Date.now();
  const verify = createAccessTokenVerifier({
    issuer: ISSUER,
    jwksUrl: "https://abc.supabase.co/auth/v1/.well-known/jwks.json",
    fetch: (() => {
      fetches++;
      if (!reachable) return Promise.reject(new TypeError("connection refused"));
      return Promise.resolve(Response.json({ keys: published }));
    }) as typeof fetch,
    now: () => clock,
  });
  const exp = Math.floor(clock / 1000) + 3600;
  const token = await sign(old.privateKey, "old", { exp });
  await verify(token);
  await t.step("served from the cache while the fetched set is fresh", async () => {
    clock += 5 * 60_000;
    assertEquals((await verify(token)).sub, USER);
    assertEquals(fetches, 1);
  });
  await t.step("kept while the JWKS cannot be fetched", async () => {
    reachable = false;
    clock += 6 * 60_000; // past the JWKS's 10 minutes: due a refetch, which fails
    assertEquals((await verify(token)).sub, USER);
    assertEquals(fetches, 2);
  });
  await t.step("refused once the refetched set no longer has its key", async () => {
    reachable = true;
    published = [next.pub]; // the old key rotated out
    clock += 31_000;
    await assertRejects(() => verify(token), isInvalid);
    await assertRejects(() => verify(token), isInvalid);
    assertEquals((await verify(await sign(next.privateKey, "next", { exp }))).sub, USER);
  });
});

Deno.test("verify: a cached token of a key found only in the fetched set follows that set", async () => {
  const [inline, fetched] = [await keyPair("inline"), await keyPair("fetched")];
  let published = [inline.pub, fetched.pub];
  let clock = Date.now();
  const verify = createAccessTokenVerifier({
    issuer: ISSUER,
    jwks: { keys: [inline.pub] },
    jwksUrl: "https://abc.supabase.co/auth/v1/.well-known/jwks.json",
    fetch: (() => Promise.resolve(Response.json({ keys: published }))) as typeof fetch,
    now: () => clock,
  });
  const exp = Math.floor(clock / 1000) + 3600;
  const token = await sign(fetched.privateKey, "fetched", { exp });
  const pinned = await sign(inline.privateKey, "inline", { exp });
  assertEquals((await verify(token)).sub, USER);
  assertEquals((await verify(pinned)).sub, USER);
  published = [inline.pub]; // the fetched key withdrawn
  clock += 31_000; // past the refetch cooldown: unchecked, the token would fetch again
  await assertRejects(() => verify(token), isInvalid);
  assertEquals((await verify(pinned)).sub, USER, "the inline key's tokens are unaffected");
});
