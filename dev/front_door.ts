/**
 * The local stack's front door: one URL with Supabase's paths, on 127.0.0.1 only.
 *
 * - `/rest/v1/*` is proxied to PostgREST (prefix stripped; method, headers, query and body
 *   stream passed through); PostgREST unreachable gives 503 `{"message":"PostgREST unavailable"}`.
 * - `/auth/v1/.well-known/jwks.json` serves the public JWKS.
 * - each mount (e.g. `/functions/v1/gateway`) gets the original Request for its prefix.
 * - `/` itself is `home` when given (the local web page, dev/web/page.ts).
 * - anything else is a 404 JSON answer.
 *
 * @module
 */
import type { Jwks } from "./keys.ts";

/** A handler mounted under a path prefix (the prefix itself and everything below it). */
export interface Mount {
  prefix: string;
  handler: (req: Request) => Response | Promise<Response>;
}

/** Options of {@link serveFrontDoor}. */
export interface FrontDoorOptions {
  /** TCP port on 127.0.0.1 (0 picks a free one). */
  port: number;
  /** PostgREST base URL, e.g. `http://127.0.0.1:54323`. */
  restUrl: string;
  /** What `/auth/v1/.well-known/jwks.json` serves (public keys only). */
  publicJwks: Jwks;
  /** Handlers by path prefix, tried in order. */
  mounts: Mount[];
  /** What `/` serves (else 404 like any path without a route). */
  home?: Mount["handler"];
  /** Called once listening. */
  onListen?: (addr: Deno.NetAddr) => void;
}

/** A running front door. */
export interface FrontDoor {
  /** Base URL, e.g. `http://127.0.0.1:54321`. */
  url: string;
  /** Stops accepting requests and waits for open ones to finish. */
  shutdown(): Promise<void>;
}

const REST = "/rest/v1";
const JWKS_PATH = "/auth/v1/.well-known/jwks.json";
/** Connection-level headers a proxy must not forward (RFC 9110 section 7.6.1). */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
];

/** Serves the front door; see the module header. */
export function serveFrontDoor(opts: FrontDoorOptions): FrontDoor {
  const restBase = opts.restUrl.replace(/\/$/, "");
  const jwksBody = JSON.stringify(opts.publicJwks);
  const mounts = opts.mounts.map((m) => ({ ...m, prefix: m.prefix.replace(/\/$/, "") }));
  const under = (path: string, prefix: string) => path === prefix || path.startsWith(prefix + "/");

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const path = url.pathname;
    if (under(path, REST)) return await proxy(req, restBase + path.slice(REST.length) + url.search);
    if (path === JWKS_PATH) {
      return new Response(req.method === "HEAD" ? null : jwksBody, {
        headers: {
          "content-type": "application/json",
          "cache-control": "public, max-age=600",
          "access-control-allow-origin": "*",
        },
      });
    }
    if (path === "/" && opts.home) return await opts.home(req);
    for (const m of mounts) if (under(path, m.prefix)) return await m.handler(req);
    return json(404, { message: `no route for ${req.method} ${path}` });
  };

  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: opts.port,
    onListen: (addr) => opts.onListen?.(addr),
  }, handler);
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    shutdown: () => server.shutdown(),
  };
}

/** Forwards `req` to `target` and streams the answer back. */
async function proxy(req: Request, target: string): Promise<Response> {
  const headers = new Headers(req.headers);
  for (const h of HOP_BY_HOP) headers.delete(h);
  const hasBody = req.body !== null && req.method !== "GET" && req.method !== "HEAD";
  // Keep a known length: forward small bodies whole, stream the rest (chunked).
  const length = Number(req.headers.get("content-length") ?? NaN);
  let body: BodyInit | null = null;
  if (hasBody) {
    if (length <= 1 << 20) body = await req.arrayBuffer();
    else {
      headers.delete("content-length");
      body = req.body;
    }
  }
  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: req.method,
      headers,
      body,
      redirect: "manual",
    });
  } catch (err) {
    if (err instanceof TypeError) return json(503, { message: "PostgREST unavailable" });
    throw err;
  }
  const out = new Headers(upstream.headers);
  for (const h of HOP_BY_HOP) out.delete(h);
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: out,
  });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}
