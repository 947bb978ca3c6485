/**
 * Nasty values the channel generators draw from: strings that break text handling (lone UTF-16
 * surrogates, NUL, control and bidi characters, very long text), numbers that break id handling,
 * values of every JSON type, and bodies that are not the JSON they claim to be. Each pick names
 * its kind, so a case's category says what made it nasty.
 */
import type { Rng } from "./prng.ts";

/** A value and the name of what makes it nasty. */
export interface Nasty<T> {
  kind: string;
  value: T;
}

/** Titles and other free text. Lone surrogates stay lone: JSON.stringify writes `\ud83d`. */
export function nastyString(rng: Rng): Nasty<string> {
  const word = rng.text(rng.int(1, 12));
  const kinds: Record<string, () => string> = {
    "lone-surrogate": () =>
      rng.pick([`abc\uD83D`, `\uDE00tail`, `${word} \uD83D`, `\uD800`, `mid\uDBFFdle`]),
    "cut-emoji": () => `${word} 🎉🎉`.slice(0, word.length + 3), // cut between the halves
    "nul": () => rng.pick([`a\u0000b`, `\u0000`, `${word}\u0000`, `\u0000${word}\u0000`]),
    "control": () => `${word}\u0001\u0007\u001b[31m\u007f\u0085`,
    "bidi": () => `\u202e${word}\u202d\u2066x\u2069\u200b\ufeff`,
    "emoji": () => `👩‍👩‍👧‍👦 ${word} 🏳️‍🌈`,
    "whitespace": () => rng.pick([" ", "\t\n", "\u00a0\u3000", "\r\n\r\n", "\u2028\u2029"]),
    "empty": () => "",
    "long": () => "x".repeat(rng.pick([499, 500, 501, 4096, 5000, 20_000])),
    "long-multibyte": () => "é".repeat(rng.pick([250, 500, 501])) + "😀".repeat(rng.int(0, 300)),
    "html": () => `<b>${word}</b><a href="javascript:alert(1)">x</a>&amp;&lt;`,
    "markdown": () => `**${word}** @everyone <@123> \`\`\`x\`\`\` ||spoiler||`,
    "sql": () => rng.pick([`'; drop table tasks; --`, `x' or '1'='1`, `$$; select 1; $$`]),
    "postgrest": () => rng.pick(["eq.1", "id=eq.1&or=(a.eq.1)", "*,user_id", "%00", "%2e%2e/"]),
    "format": () => rng.pick(["%s%s%n", "{0}{1}", "${process.env}", "{{7*7}}"]),
    "newlines": () => `${word}\n/done 1\n/unlink`,
    "plain": () => `${word} ${rng.text(rng.int(0, 20), "abc def")}`,
  };
  // The kinds Postgres and JSON parsers choke on come up most often.
  const kind = rng.weighted(
    { ...Object.fromEntries(Object.keys(kinds).map((k) => [k, 1])), ...STRING_WEIGHTS },
  );
  return { kind, value: kinds[kind]() };
}

const STRING_WEIGHTS: Record<string, number> = {
  "lone-surrogate": 5,
  "cut-emoji": 2,
  "nul": 4,
  "long": 2,
  "plain": 2,
};

/** Ids and counts: JSON numbers (and their text) that break integer handling. */
export function nastyNumber(rng: Rng): Nasty<number | string> {
  const kinds: Record<string, () => number | string> = {
    "zero": () => 0,
    "negative": () => rng.pick([-1, -2147483648, -Number.MAX_SAFE_INTEGER]),
    "float": () => rng.pick([1.5, 0.1, 1e-7, 2.0000001]),
    "huge": () => rng.pick([2 ** 53, 2 ** 63, 1e21, 1e308, Number.MAX_SAFE_INTEGER]),
    "small-valid": () => rng.int(1, 60),
    // Raw JSON text: numbers JavaScript cannot hold exactly, or at all.
    "bignum-text": () => rng.pick(["123456789012345678901234567890", "1e400", "-1e400", "-0"]),
  };
  const kind = rng.pick(Object.keys(kinds));
  return { kind, value: kinds[kind]() };
}

/** A value of the wrong JSON type (or a nasty one of the right type). */
export function nastyValue(rng: Rng, depth = 0): Nasty<unknown> {
  const kinds: Record<string, () => unknown> = {
    "null": () => null,
    "bool": () => rng.chance(0.5),
    "number": () => nastyNumber(rng).value,
    "string": () => nastyString(rng).value,
    "array": () => depth > 2 ? [] : [nastyValue(rng, depth + 1).value, 1, "a"],
    "object": () => depth > 2 ? {} : { [rng.text(3)]: nastyValue(rng, depth + 1).value },
    "proto": () => JSON.parse('{"__proto__":{"admin":true},"constructor":{"prototype":{}}}'),
    "deep": () => deepArray(rng.pick([100, 5_000])),
  };
  const kind = rng.pick(Object.keys(kinds));
  return { kind, value: kinds[kind]() };
}

/** `[[[…]]]` nested `depth` deep. */
export function deepArray(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** JSON text with raw number text spliced in where `"__RAW__"` stands (huge numbers, -0). */
export function jsonWithRaw(value: unknown, raw: Record<string, string>): string {
  let text = JSON.stringify(value);
  for (const [marker, replacement] of Object.entries(raw)) {
    text = text.replace(JSON.stringify(marker), replacement);
  }
  return text;
}

/** A body that is not valid JSON (or is JSON of the wrong shape at the top level). */
export function malformedBody(rng: Rng, valid: string): Nasty<string> {
  const kinds: Record<string, () => string> = {
    "truncated": () => valid.slice(0, rng.int(0, Math.max(0, valid.length - 1))),
    "trailing-comma": () => valid.replace(/}$/, ",}"),
    "single-quotes": () => valid.replaceAll('"', "'"),
    "js-literals": () => rng.pick(['{"a":NaN}', '{"a":Infinity}', '{"a":undefined}']),
    "bom": () => "\ufeff" + valid,
    "garbage": () => rng.pick(["}{", "{{{{", "\u0000", "[", "nul", "<xml/>", "a=1&b=2"]),
    "top-level-array": () => "[" + valid + "]",
    "top-level-scalar": () => rng.pick(["null", "true", "0", '"text"', "-1e400"]),
    "deep-nesting": () => "[".repeat(rng.pick([1_000, 20_000])) + "]".repeat(rng.pick([0, 1])),
    "deep-valid": () => JSON.stringify(deepArray(rng.pick([1_000, 3_000]))),
    "duplicate-keys": () => valid.replace(/^{/, '{"update_id":1,"update_id":"x",'),
    "whitespace-only": () => rng.pick([" ", "\n\n", "\t"]),
    "empty": () => "",
  };
  const kind = rng.pick(Object.keys(kinds));
  return { kind, value: kinds[kind]() };
}

/** Bytes that are not UTF-8, as a latin-1 string (each char code one byte). */
export function invalidUtf8(rng: Rng): string {
  return rng.pick([
    '{"title":"\xff\xfe"}',
    '{"title":"\xc3"}',
    '{"title":"\xed\xa0\xbd"}', // a surrogate encoded as UTF-8 (CESU), invalid in UTF-8
    "\x80\x81\x82",
  ]);
}
