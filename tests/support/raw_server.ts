/**
 * A scripted TCP server for the HTTP client's tests: it reads each request (head, then a
 * Content-Length body) and answers with exactly the bytes its `answer` gives, so framing,
 * reuse, early closes and malformed answers can be produced at will. `Deno.serve` cannot.
 */
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One request as the server read it. */
export interface Seen {
  head: string;
  body: string;
  /** Which connection (0, 1, …) carried it. */
  conn: number;
}

/**
 * What to do for one request: send these bytes; send `parts` (pausing `pauseMs` between them)
 * and then close if `close`; or `"drop"`: close without answering.
 */
export type Answer =
  | string
  | "drop"
  | { parts: (string | Uint8Array)[]; pauseMs?: number; close?: boolean };

/** A raw-answer server on `hostname` (IPv6 literals allowed), on a free port. */
export function rawServer(answer: (req: Seen, n: number) => Answer, hostname = "127.0.0.1") {
  const listener = Deno.listen({ hostname, port: 0 });
  const seen: Seen[] = [];
  const conns: Deno.Conn[] = [];
  let connections = 0;
  (async () => {
    for await (const conn of listener) {
      const id = connections++;
      conns.push(conn);
      (async () => {
        let buf = new Uint8Array(0);
        const chunk = new Uint8Array(65536);
        try {
          for (;;) {
            let end = decoder.decode(buf).indexOf("\r\n\r\n");
            while (end < 0) {
              const n = await conn.read(chunk);
              if (n === null) return;
              buf = concat(buf, chunk.subarray(0, n));
              end = decoder.decode(buf).indexOf("\r\n\r\n");
            }
            const head = decoder.decode(buf.subarray(0, end));
            const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
            while (buf.length < end + 4 + length) {
              const n = await conn.read(chunk);
              if (n === null) return;
              buf = concat(buf, chunk.subarray(0, n));
            }
            const body = decoder.decode(buf.subarray(end + 4, end + 4 + length));
            buf = buf.slice(end + 4 + length);
            const req = { head, body, conn: id };
            seen.push(req);
            const out = answer(req, seen.length);
            if (out === "drop") return conn.close();
            const parts = typeof out === "string" ? [out] : out.parts;
            for (let i = 0; i < parts.length; i++) {
              if (i > 0 && typeof out !== "string" && out.pauseMs) await sleep(out.pauseMs);
              const p = parts[i];
              await conn.write(typeof p === "string" ? encoder.encode(p) : p);
            }
            if (typeof out !== "string" && out.close) return conn.close();
          }
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  const closeAll = () => {
    for (const c of conns.splice(0)) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
  };
  return {
    port,
    url: hostname.includes(":") ? `http://[${hostname}]:${port}` : `http://${hostname}:${port}`,
    seen,
    connections: () => connections,
    /** Closes every open connection from the server's side (as an idle timeout would). */
    closeAll,
    close() {
      closeAll();
      listener.close();
    },
  };
}

/** A 200 answer with a Content-Length body, and any extra header lines (each ending CRLF). */
export const ok = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${
    encoder.encode(body).length
  }\r\n${extra}\r\n${body}`;

function concat(a: Uint8Array, b: Uint8Array) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
