/**
 * A small HTTP/1.1 client for plain-HTTP upstreams: the local stack's PostgREST, the Supabase
 * CLI's `http://kong:8000`, a self-hosted API gateway on a private network. Deno's `fetch` spends
 * about as much CPU on a loopback call as PostgREST spends serving it (Request and Headers
 * objects, streams, the Rust client behind them); this client writes the request in one buffer,
 * parses the answer in place and keeps connections alive, at about half that cost (see
 * docs/performance.md). It is `fetch`-shaped, so supabase-js and the service RPCs take
 * it through `global.fetch` unchanged.
 *
 * It serves only what it can serve exactly: `http:` URLs given as strings or URLs, in printable
 * ASCII, with a string, byte or empty body, when no `HTTP_PROXY` is set. Everything else (HTTPS,
 * Request objects, streams, forms, a proxied environment) goes to the fallback `fetch`. Answers
 * are read whole (Content-Length, chunked, or to the end of the connection), never compressed
 * (it asks for `identity`), and redirects are followed as `fetch` follows them (`redirect:
 * "manual"` and `"error"` are honoured). An aborted signal, also while the TCP connect is
 * pending, closes the connection and rejects with the signal's reason, as `fetch` does. An idle
 * connection keeps a read pending, so one the server closes leaves the pool at once instead of
 * failing the next request; if a reused connection still fails before any byte of the answer,
 * idempotent methods are sent again once on a new connection (as browsers and Go's client do)
 * and other methods fail as a dropped connection. Response heads are read one character per
 * byte, as `fetch` reads them.
 */

/** Options for {@link createHttp1Fetch}. */
export interface Http1FetchOptions {
  /** Serves what this client does not (default: the global `fetch`). */
  fallback?: typeof fetch;
  /** Idle connections kept per origin (default 64). */
  maxIdlePerOrigin?: number;
  /**
   * An idle connection is not reused after this many ms (default 20,000): it is closed when the
   * pool is next used. One the server closes leaves the pool at once.
   */
  idleMs?: number;
  /** Bytes an answer may have, head and body (default 64 MiB). */
  maxResponseBytes?: number;
  /**
   * Whether plain-HTTP calls must go through a proxy, which `fetch` knows how to use (default:
   * whether `HTTP_PROXY` or `http_proxy` is set).
   */
  proxied?: boolean;
}

/** A `fetch` that closes its idle connections on `close()`. */
export type Http1Fetch = typeof fetch & { close(): void };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\r\n\0]/;
const URL_PARTS = /^http:\/\/([^/?#@\s]+?)(?::(\d{1,5}))?([/?][^#\s]*)?(?:#.*)?$/i;
/** Request headers the client sets itself. */
const OWN = new Set([
  "host",
  "content-length",
  "connection",
  "transfer-encoding",
  "accept-encoding",
]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Connection {
  tcp: Deno.TcpConn;
  buf: Uint8Array<ArrayBuffer>;
  /** Unread answer bytes are `buf[start, end)`. */
  start: number;
  end: number;
  /** A read issued while idle; the next answer starts with it. */
  peek?: Promise<number | null>;
  idle: boolean;
  closed: boolean;
  /**
   * When it was last released (performance.now()). Expiry is checked when the pool is used, not
   * by a timer per connection (a Node timer per request, which would also hold the process).
   */
  idleSince: number;
}

/** The connection ended before the answer did (or before it began). */
class Dropped extends Error {
  constructor(readonly beforeAnswer: boolean, message: string) {
    super(message);
  }
}

/** Builds the client; see the module comment for what it serves and how. */
export function createHttp1Fetch(options: Http1FetchOptions = {}): Http1Fetch {
  const fallback = options.fallback ?? fetch;
  const maxIdle = options.maxIdlePerOrigin ?? 64;
  const idleMs = options.idleMs ?? 20_000;
  const maxBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
  const pools = new Map<string, Connection[]>();
  const proxied = options.proxied ?? proxyConfigured();

  const close = (c: Connection) => {
    if (c.closed) return;
    c.closed = true;
    try {
      c.tcp.close();
    } catch { /* already closed */ }
  };
  const leavePool = (origin: string, c: Connection) => {
    const pool = pools.get(origin);
    const i = pool?.indexOf(c) ?? -1;
    if (i >= 0) pool!.splice(i, 1);
    c.idle = false;
  };

  const release = (origin: string, c: Connection) => {
    let pool = pools.get(origin);
    if (!pool) pools.set(origin, pool = []);
    // The least recently used first: those idle too long are closed (a server that closed one
    // first has already had it dropped by its pending read).
    const now = performance.now();
    while (pool.length && now - pool[0].idleSince > idleMs) close(pool.shift()!);
    // Anything past the answer is not ours to read: such a connection is not reused.
    if (c.start !== c.end || pool.length >= maxIdle) return close(c);
    c.start = c.end = 0;
    c.idle = true;
    c.idleSince = now;
    pool.push(c);
    c.tcp.unref(); // an idle connection never keeps the process alive
    const peek = c.peek = c.tcp.read(c.buf).catch(() => null);
    peek.then(() => {
      // Data or an end while idle: the server closed it, or said something unasked.
      if (c.idle && c.peek === peek) {
        leavePool(origin, c);
        close(c);
      }
    });
  };

  const acquire = async (
    origin: string,
    hostname: string,
    port: number,
    signal: AbortSignal | null | undefined,
  ) => {
    const pool = pools.get(origin);
    let c = pool?.pop();
    while (c && performance.now() - c.idleSince > idleMs) {
      close(c);
      c = pool!.pop();
    }
    if (c) {
      c.idle = false;
      c.tcp.ref();
      return { c, reused: true };
    }
    const tcp = await connect(hostname, port, signal);
    tcp.setNoDelay(true);
    const fresh: Connection = {
      tcp,
      buf: new Uint8Array(16 * 1024),
      start: 0,
      end: 0,
      idle: false,
      closed: false,
      idleSince: 0,
    };
    return { c: fresh, reused: false };
  };

  /** Reads more bytes into the connection's buffer; false at the end of the stream. */
  const fill = async (c: Connection): Promise<boolean> => {
    let n: number | null;
    if (c.peek) {
      n = await c.peek;
      c.peek = undefined;
    } else {
      if (c.end === c.buf.length) {
        if (c.start > 0) {
          c.buf.copyWithin(0, c.start, c.end);
          c.end -= c.start;
          c.start = 0;
        } else {
          if (c.buf.length >= maxBytes) throw new Error("the answer is larger than allowed");
          const bigger = new Uint8Array(c.buf.length * 2);
          bigger.set(c.buf);
          c.buf = bigger;
        }
      }
      n = await c.tcp.read(c.buf.subarray(c.end));
    }
    if (n === null || n === 0) return false;
    c.end += n;
    return true;
  };

  /** Index just past the next CRLF at or after `from`, or -1. */
  const lineEnd = (c: Connection, from: number) => {
    for (let i = from; i + 1 < c.end; i++) {
      if (c.buf[i] === 13 && c.buf[i + 1] === 10) return i + 2;
    }
    return -1;
  };

  /** Reads one answer: head, then body by its framing. */
  const readAnswer = async (c: Connection, method: string, started: { any: boolean }) => {
    for (;;) {
      // The head ends at the first empty line.
      let headEnd = -1;
      // Bytes of this head already scanned, counted from `c.start` (fill may move the buffer).
      let scanned = 0;
      for (;;) {
        for (let i = c.start + Math.max(scanned, 3); i < c.end; i++) {
          if (
            c.buf[i] === 10 && c.buf[i - 1] === 13 && c.buf[i - 2] === 10 && c.buf[i - 3] === 13
          ) {
            headEnd = i + 1;
            break;
          }
        }
        if (headEnd >= 0) break;
        scanned = c.end - c.start;
        if (c.end - c.start > 64 * 1024) throw new Error("the answer's head is too large");
        if (!(await fill(c))) {
          throw new Dropped(!started.any && c.end === c.start, "connection closed before answer");
        }
        started.any = true;
      }
      started.any = true;
      const head = latin1(c.buf.subarray(c.start, headEnd - 4));
      c.start = headEnd;
      const lines = head.split("\r\n");
      const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0]);
      if (!status) throw new Error("not an HTTP/1.x answer");
      const code = Number(status[2]);
      const pairs: [string, string][] = [];
      let length = -1;
      let chunked = false;
      let keepAlive = status[1] === "1";
      for (let i = 1; i < lines.length; i++) {
        const colon = lines[i].indexOf(":");
        if (colon <= 0) throw new Error("a malformed header in the answer");
        const name = lines[i].slice(0, colon).trim().toLowerCase();
        const value = lines[i].slice(colon + 1).trim();
        if (name === "content-length") {
          if (!/^\d+$/.test(value) || (length >= 0 && length !== Number(value))) {
            throw new Error("a malformed Content-Length in the answer");
          }
          length = Number(value);
        } else if (name === "transfer-encoding") chunked = /(^|,)\s*chunked\s*$/i.test(value);
        else if (name === "connection") {
          if (/close/i.test(value)) keepAlive = false;
          else if (/keep-alive/i.test(value)) keepAlive = true;
        }
        pairs.push([name, value]);
      }
      if (code >= 100 && code < 200) {
        if (code === 101) throw new Error("unexpected protocol switch");
        continue; // 100 Continue, 103 Early Hints: the real answer follows
      }
      let body: Uint8Array | null = null;
      if (method === "HEAD" || code === 204 || code === 304) {
        body = null; // no body follows, whatever the headers say
      } else if (chunked) {
        body = await readChunked(c);
      } else if (length >= 0) {
        if (length > maxBytes) throw new Error("the answer is larger than allowed");
        while (c.end - c.start < length) {
          if (!(await fill(c))) throw new Dropped(false, "connection closed mid-answer");
        }
        body = c.buf.slice(c.start, c.start + length);
        c.start += length;
      } else {
        while (await fill(c)) {
          if (c.end - c.start > maxBytes) throw new Error("the answer is larger than allowed");
        }
        body = c.buf.slice(c.start, c.end);
        c.start = c.end;
        keepAlive = false;
      }
      if (code === 205) body = null; // a Response with this status may not have a body
      return { code, statusText: status[3] ?? "", pairs, body, keepAlive };
    }
  };

  const readChunked = async (c: Connection): Promise<Uint8Array> => {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      let end: number;
      while ((end = lineEnd(c, c.start)) < 0) {
        if (!(await fill(c))) throw new Dropped(false, "connection closed mid-answer");
      }
      const sizeText = decoder.decode(c.buf.subarray(c.start, end - 2)).split(";")[0].trim();
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new Error("a malformed chunk in the answer");
      const size = parseInt(sizeText, 16);
      c.start = end;
      if (size === 0) {
        // Trailers, if any, up to an empty line.
        for (;;) {
          while ((end = lineEnd(c, c.start)) < 0) {
            if (!(await fill(c))) throw new Dropped(false, "connection closed mid-answer");
          }
          const empty = end - c.start === 2;
          c.start = end;
          if (empty) break;
        }
        break;
      }
      total += size;
      if (total > maxBytes) throw new Error("the answer is larger than allowed");
      while (c.end - c.start < size + 2) {
        if (!(await fill(c))) throw new Dropped(false, "connection closed mid-answer");
      }
      parts.push(c.buf.slice(c.start, c.start + size));
      c.start += size + 2;
    }
    if (parts.length === 1) return parts[0];
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };

  const writeAll = async (c: Connection, bytes: Uint8Array) => {
    for (let at = 0; at < bytes.length;) at += await c.tcp.write(bytes.subarray(at));
  };

  const send = async (
    url: string,
    hostname: string,
    port: number,
    method: string,
    request: Uint8Array,
    signal: AbortSignal | null | undefined,
  ): Promise<Response> => {
    const origin = `${hostname}:${port}`;
    for (let attempt = 0;; attempt++) {
      if (signal?.aborted) throw signal.reason;
      const { c, reused } = await acquire(origin, hostname, port, signal).catch((err) => {
        if (signal?.aborted) throw signal.reason;
        throw new TypeError(
          `error sending request for url (${url}): client error (Connect): ${err}`,
          {
            cause: err,
          },
        );
      });
      const onAbort = () => close(c);
      signal?.addEventListener("abort", onAbort, { once: true });
      const started = { any: false };
      try {
        if (signal?.aborted) throw signal.reason;
        await writeAll(c, request);
        const answer = await readAnswer(c, method, started);
        // Built before the connection is released: if this throws, the closed connection must
        // not be in the pool.
        const response = new Response(answer.body as Uint8Array<ArrayBuffer> | null, {
          status: answer.code,
          statusText: answer.statusText,
          headers: answer.pairs,
        });
        if (answer.keepAlive) release(origin, c);
        else close(c);
        return response;
      } catch (err) {
        close(c);
        if (signal?.aborted) throw signal.reason;
        const stale = reused && !started.any && (!(err instanceof Dropped) || err.beforeAnswer);
        if (stale && attempt === 0 && IDEMPOTENT.has(method)) continue;
        throw new TypeError(`error sending request for url (${url}): ${errorText(err)}`, {
          cause: err,
        });
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    }
  };

  const direct = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const href = typeof input === "string" ? input : input instanceof URL ? input.href : null;
    const body = init?.body;
    const parts = href === null ? null : URL_PARTS.exec(href);
    if (
      proxied || !parts ||
      (body != null && typeof body !== "string" && !(body instanceof Uint8Array)) ||
      /[^\x21-\x7e]/.test(parts[3] ?? "") // fetch percent-encodes such paths; leave it to fetch
    ) {
      return fallback(input, init);
    }
    const hostname = parts[1].startsWith("[") ? parts[1].slice(1, -1) : parts[1];
    const port = parts[2] ? Number(parts[2]) : 80;
    const method = (init?.method ?? "GET").toUpperCase();
    try {
      if (!TOKEN.test(method) || port < 1 || port > 65_535) throw new TypeError("invalid request");
      const path = parts[3] ?? "/";
      const bytes = typeof body === "string" ? encoder.encode(body) : body ?? null;
      let head = `${method} ${path.startsWith("?") ? `/${path}` : path} HTTP/1.1\r\nhost: ${
        parts[2] ? `${parts[1]}:${port}` : parts[1]
      }\r\naccept-encoding: identity\r\n`;
      const headers = init?.headers;
      const entries = headers instanceof Headers || Array.isArray(headers)
        ? headers
        : Object.entries(headers ?? {});
      let hasType = false;
      for (const [name, value] of entries as Iterable<[string, string]>) {
        const lower = name.toLowerCase();
        if (!TOKEN.test(name) || BAD_VALUE.test(String(value))) {
          throw new TypeError(`invalid header: ${name}`);
        }
        if (OWN.has(lower)) continue;
        if (lower === "content-type") hasType = true;
        head += `${name}: ${value}\r\n`;
      }
      if (typeof body === "string" && !hasType) {
        head += "content-type: text/plain;charset=UTF-8\r\n";
      }
      if (bytes) head += `content-length: ${bytes.length}\r\n`;
      else if (method === "POST" || method === "PUT" || method === "PATCH") {
        head += "content-length: 0\r\n";
      }
      head += "\r\n";
      const headBytes = encoder.encode(head);
      let request = headBytes;
      if (bytes?.length) {
        request = new Uint8Array(headBytes.length + bytes.length);
        request.set(headBytes);
        request.set(bytes, headBytes.length);
      }
      return send(href!, hostname, port, method, request, init?.signal);
    } catch (err) {
      return Promise.reject(err);
    }
  };

  /** Follows a redirect as fetch does with `redirect: "follow"` (its default). */
  const follow = async (
    res: Response,
    url: string,
    init: RequestInit | undefined,
    hops: number,
  ): Promise<Response> => {
    if (init?.redirect === "error") throw new TypeError(`redirect refused for url (${url})`);
    if (hops > 20) throw new TypeError(`too many redirects for url (${url})`);
    const to = new URL(res.headers.get("location")!, url);
    const headers = new Headers(init?.headers);
    let method = (init?.method ?? "GET").toUpperCase();
    let body = init?.body;
    if (
      (res.status === 303 && method !== "GET" && method !== "HEAD") ||
      ((res.status === 301 || res.status === 302) && method === "POST")
    ) {
      method = "GET";
      body = undefined;
      for (
        const name of ["content-type", "content-encoding", "content-language", "content-location"]
      ) {
        headers.delete(name);
      }
    }
    if (to.origin !== new URL(url).origin) {
      for (const name of ["authorization", "cookie", "proxy-authorization"]) headers.delete(name);
    }
    const nextInit = { ...init, method, body, headers };
    let next = await direct(to.href, nextInit);
    if (REDIRECTS.has(next.status) && next.headers.has("location")) {
      next = await follow(next, to.href, nextInit, hops + 1);
    }
    Object.defineProperty(next, "redirected", { value: true });
    if (!next.url) Object.defineProperty(next, "url", { value: to.href });
    return next;
  };

  const client = ((input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const answer = direct(input, init);
    if (init?.redirect === "manual" || (typeof input !== "string" && !(input instanceof URL))) {
      return answer;
    }
    return answer.then((res) =>
      REDIRECTS.has(res.status) && res.headers.has("location")
        ? follow(res, String(input), init, 1)
        : res
    );
  }) as Http1Fetch;
  client.close = () => {
    for (const pool of pools.values()) for (const c of pool.splice(0)) close(c);
  };
  return client;
}

function proxyConfigured(): boolean {
  try {
    return Boolean(Deno.env.get("HTTP_PROXY") || Deno.env.get("http_proxy"));
  } catch {
    return false; // no permission to read the environment: no proxy set by it either
  }
}

/** Connects, giving up as soon as the signal aborts (a black-holed host holds a connect for minutes). */
function connect(
  hostname: string,
  port: number,
  signal: AbortSignal | null | undefined,
): Promise<Deno.TcpConn> {
  const connecting = Deno.connect({ hostname, port, signal: signal ?? undefined });
  if (!signal) return connecting;
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    connecting.then((tcp) => {
      signal.removeEventListener("abort", onAbort);
      if (signal.aborted) tcp.close();
      else resolve(tcp);
    }, (err) => {
      signal.removeEventListener("abort", onAbort);
      reject(err);
    });
  });
}

/**
 * An answer's head as fetch reads it: one character per byte (a header value may carry raw
 * UTF-8, which `Headers` accepts only as bytes).
 */
function latin1(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] > 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return decoder.decode(bytes);
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
