/**
 * Telegram sink helper: checks message text against a `parse_mode` roughly the way the Bot API
 * does, and returns the plain text Telegram would store (markup removed, escapes resolved).
 *
 * The checks are deliberately simple: MarkdownV2 reserved characters must be escaped unless they
 * open or close an entity, entities must be closed; HTML may only use Telegram's tags, balanced.
 * Error strings follow Telegram's wording after `Bad Request: can't parse entities: `.
 *
 * @module
 */

/** Thrown when the text does not parse; `message` is Telegram's detail text. */
export class EntityParseError extends Error {}

const RESERVED_V2 = "_*[]()~`>#+-=|{}.!";
const ENTITY_NAMES: Record<string, string> = {
  "*": "Bold",
  "_": "Italic",
  "__": "Underline",
  "~": "Strikethrough",
  "||": "Spoiler",
  "`": "Code",
  "```": "Pre",
  "[": "TextUrl",
};
const HTML_TAGS = new Set(
  ("b strong i em u ins s strike del span tg-spoiler a code pre blockquote tg-emoji tg-time")
    .split(" "),
);
const encoder = new TextEncoder();

function byteOffset(src: string, index: number): number {
  return encoder.encode(src.slice(0, index)).length;
}

/**
 * Returns the text Telegram would show for `text` under `parseMode` (undefined → unchanged).
 * Throws {@link EntityParseError} when Telegram would answer "can't parse entities".
 */
export function renderTelegramText(text: string, parseMode: unknown): string {
  const mode = typeof parseMode === "string" ? parseMode.toLowerCase() : "";
  if (mode === "markdownv2") return parseMarkdownV2(text);
  if (mode === "html") return parseHtml(text);
  if (mode === "markdown") return parseMarkdown(text);
  if (mode !== "") throw new EntityParseError(`Unsupported parse_mode`);
  return text;
}

function parseMarkdownV2(src: string): string {
  const open: { m: string; at: number }[] = [];
  let out = "";
  const top = () => open.at(-1)?.m;
  const toggle = (m: string, at: number) => {
    if (top() === m) open.pop();
    else open.push({ m, at });
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "\\") {
      if (i + 1 >= src.length) {
        throw new EntityParseError(`Character '\\' is reserved and must be escaped`);
      }
      out += src[++i];
      continue;
    }
    const t = top();
    if (t === "`" || t === "```") {
      if (src.startsWith(t, i)) {
        open.pop();
        i += t.length - 1;
      } else out += c;
      continue;
    }
    if (c === "`") {
      const m = src.startsWith("```", i) ? "```" : "`";
      open.push({ m, at: i });
      i += m.length - 1;
      if (m === "```") { while (i + 1 < src.length && src[i + 1] !== "\n") i++; // language
       }
    } else if (c === "*" || c === "~") toggle(c, i);
    else if (c === "_") {
      const m = src[i + 1] === "_" && top() !== "_" ? "__" : "_";
      toggle(m, i);
      i += m.length - 1;
    } else if (c === "|" && src[i + 1] === "|") {
      toggle("||", i);
      i++;
    } else if (c === "[" || (c === "!" && src[i + 1] === "[")) {
      if (c === "!") i++;
      open.push({ m: "[", at: i });
    } else if (c === "]" && top() === "[" && src[i + 1] === "(") {
      let j = i + 2;
      while (j < src.length && src[j] !== ")") j += src[j] === "\\" ? 2 : 1;
      if (j >= src.length) {
        throw new EntityParseError(`Can't find end of a URL at byte offset ${byteOffset(src, i)}`);
      }
      open.pop();
      i = j;
    } else if (c === ">" && (i === 0 || src[i - 1] === "\n")) continue; // block quote
    else if (RESERVED_V2.includes(c)) {
      throw new EntityParseError(
        `Character '${c}' is reserved and must be escaped with the preceding '\\'`,
      );
    } else out += c;
  }
  const last = open.at(-1);
  if (last) {
    throw new EntityParseError(
      `Can't find end of ${ENTITY_NAMES[last.m]} entity at byte offset ${byteOffset(src, last.at)}`,
    );
  }
  return out;
}

function parseMarkdown(src: string): string {
  let out = "";
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "\\" && "_*`[".includes(src[i + 1] ?? "")) {
      out += src[++i];
      continue;
    }
    const close = c === "[" ? "]" : c === "*" || c === "_" || c === "`" ? c : "";
    if (!close) {
      out += c;
      continue;
    }
    const end = src.indexOf(close, i + 1);
    if (end < 0) {
      throw new EntityParseError(
        `Can't find end of the entity starting at byte offset ${byteOffset(src, i)}`,
      );
    }
    out += src.slice(i + 1, end);
    i = end;
    if (c === "[" && src[i + 1] === "(") {
      const paren = src.indexOf(")", i);
      if (paren >= 0) i = paren;
    }
  }
  return out;
}

const HTML_ENTITY = /^&(lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/i;
const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

function parseHtml(src: string): string {
  const open: string[] = [];
  let out = "";
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === "&") {
      const m = HTML_ENTITY.exec(src.slice(i));
      if (!m) {
        out += c;
        continue;
      }
      const name = m[1].toLowerCase();
      out += NAMED[name] ??
        String.fromCodePoint(
          name.startsWith("#x") ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10),
        );
      i += m[0].length - 1;
      continue;
    }
    if (c === ">") {
      out += c;
      continue;
    }
    if (c !== "<") {
      out += c;
      continue;
    }
    const at = byteOffset(src, i);
    const end = src.indexOf(">", i);
    if (end < 0) throw new EntityParseError(`Unclosed start tag at byte offset ${at}`);
    const inner = src.slice(i + 1, end);
    i = end;
    if (inner.startsWith("/")) {
      const name = inner.slice(1).trim().toLowerCase();
      const expected = open.pop();
      if (expected === undefined) {
        throw new EntityParseError(`Unexpected end tag at byte offset ${at}`);
      }
      if (name !== expected) {
        throw new EntityParseError(
          `Unmatched end tag at byte offset ${at}, expected "</${expected}>", found "</${name}>"`,
        );
      }
      continue;
    }
    const name = (/^[a-z][a-z0-9-]*/i.exec(inner)?.[0] ?? "").toLowerCase();
    if (!HTML_TAGS.has(name)) {
      throw new EntityParseError(`Unsupported start tag "${name}" at byte offset ${at}`);
    }
    open.push(name);
  }
  const last = open.at(-1);
  if (last) {
    throw new EntityParseError(`Can't find end tag corresponding to start tag "${last}"`);
  }
  return out;
}
