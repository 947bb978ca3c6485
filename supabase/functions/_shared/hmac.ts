/**
 * HMAC-SHA-256, synchronous, for the short messages the gateway signs many times per reply (a
 * button token per button). Web Crypto's `subtle.sign` is asynchronous: each call costs about
 * 30 µs of op and thread-pool overhead, and a `/tasks` page signs 16 buttons. Here the key's
 * inner and outer pads are hashed once, so a message under 56 bytes costs two SHA-256 blocks,
 * about 2 µs. The output is checked against Web Crypto and RFC 4231 in
 * `tests/unit/hmac_test.ts`.
 */

const K = new Int32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);
const INITIAL = new Int32Array([
  0x6a09e667,
  0xbb67ae85,
  0x3c6ef372,
  0xa54ff53a,
  0x510e527f,
  0x9b05688c,
  0x1f83d9ab,
  0x5be0cd19,
]);
const w = new Int32Array(64);

/** Folds the 64-byte block at `bytes[at, at + 64)` into `state`. */
function compress(state: Int32Array, bytes: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++, at += 4) {
    w[i] = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15], y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = state[0], b = state[1], c = state[2], d = state[3];
  let e = state[4], f = state[5], g = state[6], h = state[7];
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
  state[5] = (state[5] + f) | 0;
  state[6] = (state[6] + g) | 0;
  state[7] = (state[7] + h) | 0;
}

// Scratch space: allocating a typed array costs about 1 µs in Deno, more than a block of SHA-256.
const state = new Int32Array(8);
const tail = new Uint8Array(128);
const inner = new Uint8Array(32);

/**
 * Finishes a hash whose starting state `from` has already absorbed `prefix` bytes (whole
 * blocks), over `message`, writing the 32-byte digest into `out`.
 */
function finish(from: Int32Array, prefix: number, message: Uint8Array, out: Uint8Array): void {
  for (let i = 0; i < 8; i++) state[i] = from[i];
  const whole = message.length - (message.length % 64);
  for (let at = 0; at < whole; at += 64) compress(state, message, at);
  const rest = message.length - whole;
  const end = rest < 56 ? 64 : 128;
  for (let i = 0; i < rest; i++) tail[i] = message[whole + i];
  tail[rest] = 0x80;
  for (let i = rest + 1; i < end; i++) tail[i] = 0;
  const bits = (prefix + message.length) * 8;
  tail[end - 5] = Math.floor(bits / 2 ** 32) & 0xff; // messages stay far below 2^40 bytes
  tail[end - 4] = bits >>> 24;
  tail[end - 3] = bits >>> 16;
  tail[end - 2] = bits >>> 8;
  tail[end - 1] = bits;
  for (let at = 0; at < end; at += 64) compress(state, tail, at);
  for (let i = 0; i < 8; i++) {
    out[i * 4] = state[i] >>> 24;
    out[i * 4 + 1] = state[i] >>> 16;
    out[i * 4 + 2] = state[i] >>> 8;
    out[i * 4 + 3] = state[i];
  }
}

/** SHA-256 of `message`. */
export function sha256(message: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  finish(INITIAL, 0, message, out);
  return out;
}

/**
 * HMAC-SHA-256 under `key` (RFC 2104): returns a function that writes the 32-byte tag of a
 * message into `out` (a new array when none is given) and returns it.
 */
export function hmacSha256(
  key: Uint8Array,
): (message: Uint8Array, out?: Uint8Array) => Uint8Array {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? sha256(key) : key);
  const innerStart = INITIAL.slice(), outerStart = INITIAL.slice();
  const pad = new Uint8Array(64);
  for (let i = 0; i < 64; i++) pad[i] = block[i] ^ 0x36;
  compress(innerStart, pad, 0);
  for (let i = 0; i < 64; i++) pad[i] = block[i] ^ 0x5c;
  compress(outerStart, pad, 0);
  return (message, out = new Uint8Array(32)) => {
    finish(innerStart, 64, message, inner);
    finish(outerStart, 64, inner, out);
    return out;
  };
}
