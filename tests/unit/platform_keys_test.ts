/**
 * Keys as Supabase hands them out, without a server: private JWKs made as
 * `supabase gen signing-key` makes them (ES256 and RS256, with `key_ops`, `use`, `alg`, `ext`),
 * keys that look right but cannot sign, and `SUPABASE_JWKS` as `supabase functions serve`
 * injects it (public keys plus the legacy secret as an `oct` key).
 */
import { base64url, decodeProtectedHeader, SignJWT } from "jose";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { createSessionMinter } from "../../supabase/functions/_shared/auth/mint.ts";
import { createAccessTokenVerifier } from "../../supabase/functions/_shared/auth/verify.ts";
import { loadConfig } from "../../supabase/functions/_shared/config.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import {
  BASE_ENV as ENV,
  cliSigningKey,
  identity,
  ISSUER,
  octJwk,
  randomSecret,
  USER,
} from "../auth_fixtures.ts";

const isInvalid = (e: unknown) => e instanceof GatewayError && e.status === 401;

Deno.test("mint: keys from `supabase gen signing-key` sign (ES256 and RS256)", async (t) => {
  for (const alg of ["ES256", "RS256"] as const) {
    await t.step(alg, async () => {
      const key = await cliSigningKey(alg); // key_ops ["sign","verify"], use, alg, ext, kid
      const config = loadConfig({ ...ENV, GATEWAY_SIGNING_KEY: JSON.stringify(key.privateJwk) });
      const errors: Error[] = [];
      const minter = createSessionMinter({
        issuer: ISSUER,
        signingKey: config.signingKey,
        ttlSeconds: 120,
        onKeyError: (err) => errors.push(err),
      });
      const { token } = await minter.mint(identity);
      assertEquals(decodeProtectedHeader(token), { alg, kid: key.kid, typ: "JWT" });
      const verify = createAccessTokenVerifier({ issuer: ISSUER, jwks: { keys: [key.publicJwk] } });
      assertEquals((await verify(token)).sub, USER);
      assertEquals(errors, []);
    });
  }
});

Deno.test("mint: an EC value the CLI wrote without its leading zero byte still signs", async () => {
  // Go's big.Int.Bytes() drops leading zeros: find a key with such a value and shorten it.
  let key, field;
  do {
    key = await cliSigningKey("ES256");
    field = (["x", "y", "d"] as const).find((f) =>
      base64url.decode(key!.privateJwk[f] as string)[0] === 0
    );
  } while (!field);
  const short = base64url.encode(base64url.decode(key.privateJwk[field] as string).slice(1));
  const jwk = { ...key.privateJwk, [field]: short };
  const { signingKey } = loadConfig({ ...ENV, GATEWAY_SIGNING_KEY: JSON.stringify(jwk) });
  const minter = createSessionMinter({ issuer: ISSUER, signingKey, ttlSeconds: 120 });
  const verify = createAccessTokenVerifier({ issuer: ISSUER, jwks: { keys: [key.publicJwk] } });
  assertEquals((await verify((await minter.mint(identity)).token)).sub, USER);
});

Deno.test("mint: a well-formed key that cannot sign is reported once, never unhandled", async (t) => {
  const [a, b] = [await cliSigningKey("ES256"), await cliSigningKey("ES256")];
  const cases: [string, Record<string, unknown>][] = [
    ["private part of another key", { ...a.privateJwk, d: b.privateJwk.d }],
    ["point off the curve", { ...a.privateJwk, y: b.privateJwk.y }],
  ];
  for (const [name, jwk] of cases) {
    await t.step(name, async () => {
      const { signingKey } = loadConfig({ ...ENV, GATEWAY_SIGNING_KEY: JSON.stringify(jwk) });
      const reported = Promise.withResolvers<Error>();
      let reports = 0;
      const minter = createSessionMinter({
        issuer: ISSUER,
        signingKey,
        ttlSeconds: 120,
        onKeyError: (err) => {
          reports++;
          reported.resolve(err);
        },
      });
      // Reported at start-up, before any chat message arrives.
      const error = await reported.promise;
      assert(error.message.startsWith("GATEWAY_SIGNING_KEY"), error.message);
      assert(!error.message.includes(String(jwk.d)), "key material in the message");
      for (let i = 0; i < 2; i++) {
        await assertRejects(
          () => minter.mint(identity),
          (e) => e instanceof GatewayError && e.status === 500,
        );
      }
      assertEquals(reports, 1);
    });
  }
});

Deno.test("verify: SUPABASE_JWKS from `supabase functions serve`", async (t) => {
  const local = "http://127.0.0.1:54321/auth/v1";
  const key = await cliSigningKey("ES256");
  const secret = randomSecret();
  const config = loadConfig({
    ...ENV,
    SUPABASE_URL: "http://kong:8000",
    SUPABASE_JWKS: JSON.stringify({ keys: [key.publicJwk, octJwk(secret)] }),
  });
  const verify = createAccessTokenVerifier({
    issuer: config.issuer,
    jwks: config.jwks,
    jwksUrl: config.jwksUrl,
    jwtSecret: config.jwtSecret,
    hmacKeys: config.jwksHmacKeys,
    fetch: () => Promise.reject(new TypeError("not reachable in this test")),
  });
  const hs256 = (hmacKey: Uint8Array, claims: Record<string, unknown> = {}) =>
    new SignJWT({ sub: USER, aud: "authenticated", role: "authenticated", ...claims })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(local).setIssuedAt().setExpirationTime("10m")
      .sign(hmacKey);

  await t.step("an HS256 token signed with the oct secret is accepted", async () => {
    assertEquals((await verify(await hs256(new TextEncoder().encode(secret)))).sub, USER);
  });
  await t.step("an HS256 token signed with another secret is refused", async () => {
    const forged = await hs256(new TextEncoder().encode(randomSecret()));
    await assertRejects(() => verify(forged), isInvalid);
  });
  await t.step("an ES256 token whose kid is in the inline set is accepted", async () => {
    const token = await new SignJWT({ sub: USER, aud: "authenticated", role: "authenticated" })
      .setProtectedHeader({ alg: "ES256", kid: key.kid }).setIssuer(local).setIssuedAt()
      .setExpirationTime("10m").sign(key.privateKey);
    assertEquals((await verify(token)).sub, USER);
  });
});
