/**
 * Outsider probes of the synchronous SHA-256 / HMAC-SHA-256 (`hmac.ts`) and of the button-token
 * codec (`actions.ts`), written by an outside review. Web Crypto is the reference. The last three
 * tests are the defects it found (each failed before its fix); "guard:" tests found nothing.
 */
import { assert, assertEquals } from "../assert.ts";
import { hmacSha256, sha256 } from "../../supabase/functions/_shared/hmac.ts";
import { action } from "../../supabase/functions/_shared/actions.ts";
import { createActionCodec } from "../../supabase/functions/_shared/action_tokens.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { z } from "zod";

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const utf8 = (s: string) => new TextEncoder().encode(s);

const LENGTHS = [
  0,
  1,
  31,
  32,
  33,
  54,
  55,
  56,
  57,
  63,
  64,
  65,
  111,
  112,
  118,
  119,
  120,
  121,
  127,
  128,
  129,
  183,
  184,
  191,
  192,
  193,
  255,
  256,
  257,
  1000,
  4096,
  65537,
];

async function webDigest(message: Uint8Array): Promise<string> {
  return hex(
    new Uint8Array(await crypto.subtle.digest("SHA-256", message as Uint8Array<ArrayBuffer>)),
  );
}

async function webHmac(key: Uint8Array, message: Uint8Array): Promise<string> {
  const k = await crypto.subtle.importKey(
    "raw",
    key.length === 0 ? new Uint8Array(1) : key.slice(), // Web Crypto refuses an empty key
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return hex(new Uint8Array(await crypto.subtle.sign("HMAC", k, message.slice())));
}

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) {
    crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// hmac.ts
// ---------------------------------------------------------------------------------------------

Deno.test("guard: SHA-256 equals Web Crypto at block-boundary lengths (random and constant bytes)", async () => {
  for (const n of LENGTHS) {
    for (const message of [random(n), new Uint8Array(n), new Uint8Array(n).fill(0xff)]) {
      assertEquals(hex(sha256(message)), await webDigest(message), `length ${n}`);
    }
  }
});

Deno.test("guard: HMAC equals Web Crypto for keys 0-1000 bytes at block-boundary lengths", async () => {
  for (const keyLength of [0, 1, 55, 56, 63, 64, 65, 119, 128, 129, 1000]) {
    for (const key of [random(keyLength), new Uint8Array(keyLength).fill(0xff)]) {
      const sign = hmacSha256(key);
      for (const n of LENGTHS) {
        const message = random(n);
        assertEquals(hex(sign(message)), await webHmac(key, message), `key ${keyLength}, msg ${n}`);
      }
    }
  }
});

Deno.test("guard: a key of 64 zero bytes, the empty key and a 1-byte zero key give one tag (RFC 2104 padding)", () => {
  const m = utf8("same");
  const a = hex(hmacSha256(new Uint8Array(0))(m));
  assertEquals(hex(hmacSha256(new Uint8Array(1))(m)), a);
  assertEquals(hex(hmacSha256(new Uint8Array(64))(m)), a);
  // 65 zero bytes are hashed first: a different key.
  assert(hex(hmacSha256(new Uint8Array(65))(m)) !== a);
});

Deno.test("guard: messages and keys that are subarrays at odd offsets of larger buffers", async () => {
  const big = random(2048 + 16);
  for (const offset of [1, 3, 7, 13, 64, 65]) {
    for (const n of [0, 55, 56, 63, 64, 65, 119, 120, 128, 129, 1000]) {
      const view = big.subarray(offset, offset + n);
      assertEquals(hex(sha256(view)), await webDigest(view), `sha off ${offset} len ${n}`);
      const keyView = big.subarray(offset + 5, offset + 5 + 70);
      assertEquals(
        hex(hmacSha256(keyView)(view)),
        await webHmac(keyView, view),
        `hmac off ${offset} len ${n}`,
      );
    }
  }
  // A subarray view over a DataView-style offset in a shared ArrayBuffer.
  const buf = new ArrayBuffer(300);
  const m = new Uint8Array(buf, 37, 120);
  crypto.getRandomValues(m);
  assertEquals(hex(sha256(m)), await webDigest(m));
});

Deno.test("guard: `out` aliasing the message (in place, and overlapping subarrays)", async () => {
  const key = random(40);
  const sign = hmacSha256(key);
  for (const n of [32, 55, 64, 100, 200]) {
    const message = random(n);
    const want = await webHmac(key, message);
    const inPlace = message.slice();
    sign(inPlace, inPlace);
    assertEquals(hex(inPlace.subarray(0, 32)), want, `out = message, ${n}`);
    assertEquals(hex(inPlace.subarray(32)), hex(message.subarray(32)), "bytes past 32 untouched");
    const shifted = message.slice();
    sign(shifted, shifted.subarray(n - 32));
    assertEquals(hex(shifted.subarray(n - 32)), want, `out = message tail, ${n}`);
  }
});

Deno.test("guard: `out` inside a larger buffer: exactly 32 bytes written, neighbours kept", () => {
  const sign = hmacSha256(utf8("k"));
  const target = new Uint8Array(100).fill(0xaa);
  const got = sign(utf8("m"), target.subarray(10, 42));
  assertEquals(hex(got), hex(sign(utf8("m"))));
  assert(target.subarray(0, 10).every((b) => b === 0xaa));
  assert(target.subarray(42).every((b) => b === 0xaa));
});

Deno.test("guard: mutating the key after hmacSha256(key) does not change later tags", async () => {
  const key = random(30), copy = key.slice();
  const sign = hmacSha256(key);
  key.fill(0);
  assertEquals(hex(sign(utf8("x"))), await webHmac(copy, utf8("x")));
});

Deno.test("guard: interleaved signers, sha256 in between, shared scratch: no cross-talk", async () => {
  const k1 = random(16), k2 = random(100);
  const s1 = hmacSha256(k1), s2 = hmacSha256(k2);
  const results: [Uint8Array, Uint8Array, Uint8Array, number][] = [];
  for (const n of [0, 55, 56, 64, 120, 129, 300]) {
    const m = random(n);
    const a = s1(m);
    sha256(random(1000));
    const b = s2(m);
    const c = s1(m);
    results.push([m, a, b, n]);
    assertEquals(hex(a), hex(c), "same signer, same message, same tag");
    // The returned arrays are fresh, not the shared scratch: earlier results survive.
    assert(a !== c && a !== b);
  }
  for (const [m, a, b, n] of results) {
    assertEquals(hex(a), await webHmac(k1, m), `signer 1 after others, ${n}`);
    assertEquals(hex(b), await webHmac(k2, m), `signer 2 after others, ${n}`);
  }
  // Two sha256 results are distinct arrays.
  const x = sha256(utf8("a")), y = sha256(utf8("b"));
  assert(x !== y && hex(x) !== hex(y));
  assertEquals(hex(x), await webDigest(utf8("a")));
});

Deno.test("guard: one signer's tag passed as another's message and out (buffer reuse chain)", async () => {
  const k = random(32);
  const sign = hmacSha256(k);
  const buf = sign(utf8("seed"));
  let want = buf.slice();
  for (let i = 0; i < 50; i++) {
    const ref = await webHmac(k, want);
    sign(buf, buf);
    assertEquals(hex(buf), ref, `round ${i}`);
    want = buf.slice();
  }
});

Deno.test("guard: large messages (1 MiB + 3, 16 MiB + 57) equal Web Crypto", async () => {
  for (const n of [(1 << 20) + 3, (1 << 24) + 57]) {
    const m = random(n);
    assertEquals(hex(sha256(m)), await webDigest(m), `sha ${n}`);
    const key = random(77);
    assertEquals(hex(hmacSha256(key)(m)), await webHmac(key, m), `hmac ${n}`);
  }
});

// ---------------------------------------------------------------------------------------------
// actions.ts
// ---------------------------------------------------------------------------------------------

const SECRET = "a-service-key-for-the-attack-test";

/** Signs arbitrary text the way the codec should, with Web Crypto: the MAC an attacker lacks. */
async function webToken(secret: string, text: string): Promise<string> {
  const kid = (await webMac(secret, "gateway actions key id", null)).slice(0, 2);
  return `${text}~${kid}${await webMac(secret, "gateway actions v2", `${text}~${kid}`)}`;
}

/** A token as the codec signed them before key ids: `<calls>~<MAC>` under the "v1" key. */
async function webTokenV1(secret: string, text: string): Promise<string> {
  return `${text}~${await webMac(secret, "gateway actions v1", text)}`;
}

/** base64url of the tag under the key derived for `purpose` (of the derivation's own, if null). */
async function webMac(secret: string, purpose: string, text: string | null): Promise<string> {
  const imp = (raw: BufferSource) =>
    crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const derived = await crypto.subtle.sign(
    "HMAC",
    await imp(utf8(secret).length ? utf8(secret) : new Uint8Array(1)),
    utf8(purpose),
  );
  const tag = text === null
    ? new Uint8Array(derived)
    : new Uint8Array(await crypto.subtle.sign("HMAC", await imp(derived), utf8(text)));
  return btoa(String.fromCharCode(...tag.subarray(0, 12))).replaceAll("+", "-")
    .replaceAll("/", "_");
}

const DONE = {
  label: "Done",
  command: "done",
  args: { id: 42 },
  then: { command: "tasks", args: { page: 3 } },
};

Deno.test("guard: tokens for secrets of 0, 1, 64, 65 and 300 bytes equal Web Crypto's; round trip", async () => {
  for (const secret of ["", "x", "s".repeat(64), "s".repeat(65), "é".repeat(150)]) {
    const codec = createActionCodec({ keys: [secret], legacy: true });
    const token = codec.encode(DONE);
    const calls = 'done:{"id":42}>tasks:{"page":3}';
    assertEquals(token, await webToken(secret, calls));
    const call = {
      command: "done",
      args: { id: 42 },
      then: { command: "tasks", args: { page: 3 } },
    };
    assertEquals(codec.decode(token), call);
    assertEquals(codec.decode(await webTokenV1(secret, calls)), call, "sent before key ids");
  }
});

Deno.test("guard: every single-character change, deletion and insertion in a token is refused", () => {
  const codec = createActionCodec({ keys: [SECRET] });
  for (
    const token of [
      codec.encode(DONE),
      codec.encode({ label: "More", command: "tasks", args: { page: 2 } }),
    ]
  ) {
    for (let i = 0; i < token.length; i++) {
      for (const c of ["A", "a", "0", "-", "_", "~", "}", ">", ":", " ", "\u0000", "é"]) {
        if (token[i] === c) continue;
        const changed = token.slice(0, i) + c + token.slice(i + 1);
        assertEquals(codec.decode(changed), null, `changed at ${i} to ${JSON.stringify(c)}`);
        const inserted = token.slice(0, i) + c + token.slice(i);
        assertEquals(codec.decode(inserted), null, `inserted at ${i}`);
      }
      assertEquals(codec.decode(token.slice(0, i) + token.slice(i + 1)), null, `deleted ${i}`);
    }
  }
});

Deno.test("guard: truncated, extended, doubled and re-cased tokens are refused", () => {
  const codec = createActionCodec({ keys: [SECRET] });
  const token = codec.encode(DONE);
  const cut = token.lastIndexOf("~");
  const [text, kid, mac] = [token.slice(0, cut), token.slice(cut + 1, cut + 3), token.slice(-16)];
  const tries = [
    "",
    "~",
    `~${mac}`,
    `~${kid}${mac}`,
    text,
    `${text}~`,
    `${text}~${kid}`,
    `${text}~${mac}`, // the key id dropped: an old-style token with a new-style MAC
    `${text}~${kid}~${mac}`,
    `${text}~${kid}${mac.slice(0, 15)}`,
    `${text}~${kid}${mac}A`,
    `${text}~${kid}${mac}~${kid}${mac}`,
    `${token}~${mac}`,
    `${token} `,
    ` ${token}`,
    `${token}\n`,
    `${text}~${kid}${mac.toUpperCase()}`,
    `${text}~${kid}${mac.toLowerCase()}`,
    `${text}~${kid}${mac.replaceAll("-", "+").replaceAll("_", "/")}`,
    `${text}~${kid}${mac}==`,
    `${text}~${kid}${mac.slice(0, 12)}====`,
    `${text}~${kid.toUpperCase()}${mac}`,
    `${text}~${kid.toLowerCase()}${mac}`,
    `${text}~${kid[1]}${kid[0]}${mac}`,
    `${text.slice(0, text.indexOf(">"))}~${kid}${mac}`, // first call only, the pair's MAC
    `${text.slice(text.indexOf(">") + 1)}~${kid}${mac}`, // then-call only
    `${text}>tasks:{"page":4}~${kid}${mac}`,
    token.normalize("NFKC") === token ? `${token}\u0301` : token.normalize("NFKC"),
  ];
  for (const t of tries) {
    if (t === token) continue;
    assertEquals(codec.decode(t), null, JSON.stringify(t));
  }
  // The MAC of 12 bytes fills 16 base64url characters exactly: no padding bits to flip.
  assertEquals(mac.length, 16);
});

Deno.test("guard: a token from another secret (and from a near-identical one) is refused", () => {
  const mine = createActionCodec({ keys: [SECRET] });
  for (const other of [SECRET + " ", SECRET.slice(0, -1), SECRET.toUpperCase(), "", "x"]) {
    const theirs = createActionCodec({ keys: [other] }).encode(DONE);
    assertEquals(mine.decode(theirs), null, other);
    assertEquals(createActionCodec({ keys: [other] }).decode(mine.encode(DONE)), null, other);
  }
});

Deno.test("guard: non-string and odd inputs give null without throwing", () => {
  const codec = createActionCodec({ keys: [SECRET] });
  const token = codec.encode(DONE);
  const inputs: unknown[] = [
    undefined,
    null,
    0,
    42,
    NaN,
    true,
    10n,
    Symbol("t"),
    {},
    [],
    [token],
    new String(token),
    { toString: () => token },
    { valueOf: () => token },
    () => token,
    new Uint8Array(utf8(token)),
    "x".repeat(201),
    token + "x".repeat(200),
    "~".repeat(17),
    "\uD800".repeat(40),
    "a:{}~" + "\uD800".repeat(16),
    "a:{}~" + "\uD800".repeat(18),
  ];
  for (const input of inputs) {
    let out: unknown = "threw";
    try {
      out = codec.decode(input);
    } catch (e) {
      out = `threw ${e}`;
    }
    assertEquals(out, null, String(typeof input));
  }
});

Deno.test("guard: random strings never throw and never verify", () => {
  const codec = createActionCodec({ keys: [SECRET] });
  const alphabet = 'abc:{}"[]>~-_0123456789,é\\';
  for (let i = 0; i < 3000; i++) {
    let s = "";
    const n = Math.floor(Math.random() * 80);
    for (let j = 0; j < n; j++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
    s += "~" + "A".repeat(i % 2 ? 16 : 18); // old-style and key-id tails
    assertEquals(codec.decode(s), null);
  }
});

Deno.test("guard: correctly signed odd payloads decode to null or a plain {command, args, then?}", async () => {
  const codec = createActionCodec({ keys: [SECRET], legacy: true });
  const cases: [string, unknown][] = [
    ["", null],
    [":{}", null],
    ["a:", null],
    ["a:[]", null],
    ["a:null", null],
    ["a:1", null],
    ['a:"x"', null],
    ["a:{}>", null],
    ["a:{}>b:", null],
    ["a:{}>b:[]", null],
    ["a:{}>b:null", null],
    ["a:{}>b:{}>c:{}", null], // three calls: refused, not the first two
    ["a:{}>B:{}", null],
    ["a:{} >b:{}", null],
    ["a:{}>b:{}", { command: "a", args: {}, then: { command: "b", args: {} } }],
    ["a:{}", { command: "a", args: {} }],
    ['a:{"x":"}>b:{}"}', null], // split inside a string: refused, never confused
    ['a:{"__proto__":{"admin":true}}', "proto"],
    ['a:{"constructor":{"prototype":{"x":1}}}', "plain"],
    ["a:" + "[".repeat(90) + "]".repeat(90), null],
    ["a:" + '{"a":'.repeat(30) + "1" + "}".repeat(30), "plain"],
  ];
  const signed: [string, string, unknown][] = [];
  for (const [text, want] of cases) {
    for (const sign of [webToken, webTokenV1]) signed.push([await sign(SECRET, text), text, want]);
  }
  for (const [token, text, want] of signed) {
    let got: ReturnType<typeof codec.decode> | string;
    try {
      got = codec.decode(token);
    } catch (e) {
      got = `threw ${e}`;
    }
    if (want === "proto" || want === "plain") {
      assert(got !== null && typeof got === "object", text);
      assertEquals(Object.keys(got).sort(), ["args", "command"], text);
      assertEquals(Object.getPrototypeOf(got.args), Object.prototype, text);
      assertEquals(({} as Record<string, unknown>).admin, undefined, "no pollution");
      assertEquals(({} as Record<string, unknown>).x, undefined, "no pollution");
    } else {
      assertEquals(got, want, text);
      if (got) assertEquals(Object.getPrototypeOf(got), Object.prototype);
    }
  }
});

Deno.test("guard: decoding with a shared tag buffer interleaved with encoding keeps results apart", () => {
  const codec = createActionCodec({ keys: [SECRET] });
  const tokens = Array.from(
    { length: 16 },
    (_, i) => codec.encode({ label: "x", command: "done", args: { id: i } }),
  );
  assertEquals(new Set(tokens).size, 16);
  for (let i = 0; i < 16; i++) {
    codec.encode({ label: "y", command: "tasks", args: { page: i } });
    assertEquals(codec.decode(tokens[i]), { command: "done", args: { id: i } });
    assertEquals(codec.decode(tokens[(i + 1) % 16].slice(0, -16) + tokens[i].slice(-16)), null);
  }
});

// A command with a free-text argument, as a command author may well add (e.g. "add again").
const note = defineCommand({
  name: "note",
  description: "Test-only command with a string argument",
  args: z.object({ text: z.string().max(30) }),
  requires: "user",
  run: () => Promise.resolve({ text: "" } as never),
});

Deno.test('a button whose string argument contains "}>x:" round-trips (it was signed, then refused)', () => {
  const codec = createActionCodec({ keys: [SECRET] });
  // action() accepts it (schema passes, 33 bytes fit in Telegram's 64)...
  const button = action(note, { text: "a}>b:" }, "Note");
  const token = codec.encode(button);
  // ...but decode splits inside the JSON string at "}>b:" and refuses a token it signed itself:
  // the presser reads "This button is not valid". It should return the call (or action() throw).
  assertEquals(codec.decode(token), { command: "note", args: { text: "a}>b:" } });
});

Deno.test('the same with a follow-up call: "}>" inside the first call\'s string argument', () => {
  const codec = createActionCodec({ keys: [SECRET] });
  const button = action(note, { text: "}>note:" }, "Note", {
    then: [{ ...note, readOnly: true }, { text: "" }],
  });
  assertEquals(codec.decode(codec.encode(button)), {
    command: "note",
    args: { text: "}>note:" },
    then: { command: "note", args: { text: "" } },
  });
});

Deno.test("an altered token is refused: U+FFFD swapped for a lone surrogate kept the MAC", () => {
  const codec = createActionCodec({ keys: [SECRET] });
  const token = codec.encode({ label: "Note", command: "note", args: { text: "\uFFFD" } });
  // TextEncoder maps every lone surrogate to EF BF BD, the bytes of U+FFFD, so the MAC (over
  // UTF-8) is the same for a token the gateway never issued. decode should refuse it (e.g. reject
  // strings that are not well-formed, or compare the decoded bytes).
  const forged = token.replace("\uFFFD", "\uD800");
  assert(forged !== token);
  const got = codec.decode(forged);
  assertEquals(got, null, `forged token decoded to ${JSON.stringify(got)}`);
});
