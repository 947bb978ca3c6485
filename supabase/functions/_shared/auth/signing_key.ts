/**
 * The private key that signs minted sessions, imported into WebCrypto for signing only. The
 * shape is checked synchronously by `config_keys.ts`; what only a real import can tell (a point
 * off the curve, a private part that does not belong to the public one) is checked here once, at
 * start-up, by signing a probe and verifying it with the key's own public half.
 */
import { ConfigError } from "../config_values.ts";

/** A checked private signing key: key material only (no `key_ops`/`use`/`ext`), its alg and kid. */
export interface SigningKey {
  alg: "ES256" | "RS256";
  kid: string;
  jwk: JsonWebKey;
}

const PROBE = new TextEncoder().encode("gateway signing key self-test");

/**
 * Imports the key for `sign` and proves it with a probe signature; rejects with a
 * {@link ConfigError} naming `GATEWAY_SIGNING_KEY` (never the key) when it cannot sign or its
 * signatures would not verify against its public key.
 */
export async function importSigningKey(key: SigningKey): Promise<CryptoKey> {
  const { importParams, signParams } = algorithm(key.alg);
  let privateKey: CryptoKey;
  let publicKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey("jwk", key.jwk, importParams, false, ["sign"]);
    publicKey = await crypto.subtle.importKey("jwk", publicPart(key.jwk), importParams, false, [
      "verify",
    ]);
  } catch {
    throw new ConfigError(`GATEWAY_SIGNING_KEY cannot be imported as an ${key.alg} key.`);
  }
  let valid = false;
  try {
    const signature = await crypto.subtle.sign(signParams, privateKey, PROBE);
    valid = await crypto.subtle.verify(signParams, publicKey, signature, PROBE);
  } catch { /* reported below */ }
  if (!valid) {
    throw new ConfigError(
      "GATEWAY_SIGNING_KEY is inconsistent: its private part does not match its public key.",
    );
  }
  return privateKey;
}

function algorithm(alg: SigningKey["alg"]) {
  return alg === "ES256"
    ? {
      importParams: { name: "ECDSA", namedCurve: "P-256" },
      signParams: { name: "ECDSA", hash: "SHA-256" },
    }
    : {
      importParams: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      signParams: { name: "RSASSA-PKCS1-v1_5" },
    };
}

function publicPart(jwk: JsonWebKey): JsonWebKey {
  return jwk.kty === "EC"
    ? { kty: "EC", crv: jwk.crv, x: jwk.x, y: jwk.y }
    : { kty: "RSA", n: jwk.n, e: jwk.e };
}
