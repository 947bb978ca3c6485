/**
 * HTTPS cases: `POST /commands/{name}` with a bearer token. Most carry a valid token so the input
 * reaches argument checking and the database (nasty titles, ids of every type, bad Idempotency-Key
 * headers); the rest break the transport: bad or forged tokens, malformed and oversized bodies,
 * wrong content types, unknown commands, other methods.
 */
import type { Rng } from "./prng.ts";
import { type CaseBody, TOKEN_KINDS } from "./generate.ts";
import {
  invalidUtf8,
  jsonWithRaw,
  malformedBody,
  nastyNumber,
  nastyString,
  nastyValue,
} from "./values.ts";

/** Just over the HTTPS body limit (64 KiB). */
const OVER_LIMIT = 64 * 1024 + 1;

/** One HTTPS case. */
export function httpCase(rng: Rng, index: number): CaseBody {
  const area = rng.weighted({
    add: 30,
    done: 14,
    "wrong-types": 10,
    "bad-json": 10,
    "content-type": 5,
    oversized: 4,
    idempotency: 8,
    token: 12,
    "unknown-command": 4,
    method: 2,
    "other-command": 4,
  });
  const base = (category: string, command: string, body: string): CaseBody => ({
    category: `${area}/${category}`,
    method: "POST",
    path: `/commands/${command}`,
    headers: { "content-type": "application/json" },
    body,
    auth: { scheme: "Bearer", token: "@alice" },
  });
  switch (area) {
    case "add": {
      const title = nastyString(rng);
      const c = base(title.kind, "add", JSON.stringify({ title: title.value }));
      if (rng.chance(0.3)) c.headers["idempotency-key"] = `fz-${index}`;
      return c;
    }
    case "done": {
      const id = nastyNumber(rng);
      const body = typeof id.value === "string"
        ? jsonWithRaw({ id: "__RAW__" }, { __RAW__: id.value })
        : JSON.stringify({ id: id.value });
      return base(id.kind, "done", body);
    }
    case "wrong-types": {
      const value = nastyValue(rng);
      const command = rng.pick(["add", "done", "tasks", "whoami", "link-code"]);
      const key = rng.pick(["title", "id", "code", "extra", ""]);
      const shape = rng.pick(["field", "extra-field", "nested"]);
      const args = shape === "field"
        ? { [key]: value.value }
        : shape === "extra-field"
        ? { title: "ok", id: 1, [key || "x"]: value.value }
        : { title: { title: value.value } };
      return base(`${shape}-${value.kind}`, command, JSON.stringify(args));
    }
    case "bad-json": {
      if (rng.chance(0.15)) {
        return { ...base("invalid-utf8", "add", invalidUtf8(rng)), bytes: true };
      }
      const bad = malformedBody(rng, JSON.stringify({ title: "Buy milk" }));
      return base(bad.kind, rng.pick(["add", "done", "tasks"]), bad.value);
    }
    case "content-type": {
      const type = rng.pick([
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
        "application/json; charset=latin1",
        "application/vnd.api+json",
        "application/problem+json",
        "*/*",
        "json",
        "",
      ]);
      const c = base(type || "empty", "add", JSON.stringify({ title: `ct ${index}` }));
      if (rng.chance(0.2)) delete c.headers["content-type"];
      else c.headers["content-type"] = type;
      return c;
    }
    case "oversized": {
      const size = rng.pick([OVER_LIMIT, OVER_LIMIT + 1000, 64 * 1024]);
      const filler = "y".repeat(size - 14);
      const c = base(`${size}${rng.chance(0.5) ? "-stream" : ""}`, "add", `{"title":"${filler}"}`);
      c.stream = c.category.endsWith("-stream");
      return c;
    }
    case "idempotency": {
      const key = rng.pick([
        "",
        " ",
        "k".repeat(201),
        "k".repeat(200),
        "has space",
        "tab\there",
        "caf\xe9",
        "fz-shared-1", // reused across cases with other arguments: 409 idempotency_key_reused
        "fz-shared-2",
        '"quoted"',
      ]);
      const title = rng.chance(0.5) ? "same title" : nastyString(rng).value;
      const c = base(JSON.stringify(key).slice(0, 20), "add", JSON.stringify({ title }));
      c.headers["idempotency-key"] = key;
      return c;
    }
    case "token": {
      const kind = rng.pick([...TOKEN_KINDS.slice(3), "garbage", "none", "scheme"]);
      const c = base(kind.replace(/^@/, ""), rng.pick(["add", "tasks", "whoami"]), '{"title":"t"}');
      if (kind === "none") delete c.auth;
      else if (kind === "garbage") {
        c.auth!.token = rng.pick([
          "",
          "a.b.c",
          "eyJhbGciOiJFUzI1NiJ9.e30.",
          "x".repeat(rng.pick([10, 8_000])),
          "..",
          "null",
        ]);
      } else if (kind === "scheme") {
        c.auth!.scheme = rng.pick(["Basic", "bearer", "Bearer  ", "Token", "Bearer\t"]);
      } else c.auth!.token = kind;
      return c;
    }
    case "unknown-command": {
      const name = rng.pick([
        "ADD",
        "add%00",
        "%2e%2e%2fhealth",
        "start",
        "link",
        "unlink",
        "add/extra",
        encodeURIComponent("ädd"),
        "x".repeat(300),
        "__proto__",
        "constructor",
      ]);
      return base(name.slice(0, 20), name, '{"title":"t"}');
    }
    case "method": {
      const c = base("", rng.pick(["add", "tasks"]), "");
      c.method = rng.pick(["GET", "PUT", "DELETE", "PATCH"]);
      c.category += c.method;
      if (c.method === "GET") c.body = "";
      return c;
    }
    default: {
      const command = rng.pick(["tasks", "whoami", "help", "link-code"]);
      return base(command, command, rng.pick(["{}", "", '{"extra":1}']));
    }
  }
}
