/**
 * The local stack's web page at its front door (`/`): the chat accounts template
 * (`templates/web/`) wrapped with local-only "Sign in as …" buttons for the demo users. Serves:
 *
 * - `GET /`: `dev/web/index.html`, with the stack's anon key, under a CSP that allows nothing
 *   but this origin (so the page provably fetches nothing from outside);
 * - `GET /templates/web/<file>` and `/dev/web/<file>`: the template's files and the local
 *   wrapper's script and styles (the paths are the repository's), read when asked so that edits
 *   show on reload, and `/templates/web/supabase.js`, supabase-js's own browser build from the
 *   installed package (the version pinned in deno.json), where the template's HTML expects it;
 * - `GET /templates/web/chat-accounts.html`: the template's own page as an app serves it, its
 *   settings filled in for this stack (its session: the one supabase-js stored in this browser);
 * - `POST /__local/session` `{"email"}`: an access token for a demo user, as Supabase Auth would
 *   issue after a password sign-in. Local only: demo users only, and only for requests addressed
 *   to this loopback origin (a page of another site, or a DNS name rebound to 127.0.0.1, gets
 *   403). None of this is in the template, which takes its session from the app's client;
 * - `GET /favicon.ico`: 204 (browsers ask on every page).
 *
 * @module
 */
import supabaseBrowserBuild from "@supabase/supabase-js/dist/umd/supabase.js" with { type: "text" };
import { devAccessToken } from "../auth.ts";
import type { DevKeys } from "../keys.ts";
import { REPO_ROOT } from "../paths.ts";

/** The users the sign-in buttons offer (seeded by supabase/seed.sql). */
export const DEMO_EMAILS = ["alice@example.com", "bob@example.com"] as const;

/** Options of {@link localWebPage}. */
export interface LocalWebPageOptions {
  /** The front door's origin, e.g. `http://127.0.0.1:54321`. */
  url: string;
  keys: DevKeys;
  /** Runs SQL as the superuser (the demo user's row is read from auth.users). */
  psql(sql: string): Promise<string>;
}

/** What the front door mounts: `/` and the two prefixes. */
export interface LocalWebPage {
  home(req: Request): Promise<Response>;
  mounts: { prefix: string; handler: (req: Request) => Promise<Response> }[];
}

/** The files served, by path (the same as in the repository), and their types. */
const FILES: Record<string, string> = {
  "/templates/web/chat-accounts.js": "text/javascript",
  "/templates/web/chat-accounts-view.js": "text/javascript",
  "/templates/web/qr.js": "text/javascript",
  "/templates/web/chat-accounts.css": "text/css",
  "/dev/web/local.js": "text/javascript",
  "/dev/web/local.css": "text/css",
};
/** Where supabase.js is: beside the template's files, as the template's HTML expects it. */
const SUPABASE_JS = "/templates/web/supabase.js";
/** The template's own page (settings filled in for this stack). */
const TEMPLATE_HTML = "/templates/web/chat-accounts.html";

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const TOKEN_TTL_SECONDS = 3600;

/** Builds the page's handlers; see the module header. */
export function localWebPage(opts: LocalWebPageOptions): LocalWebPage {
  const origin = new URL(opts.url);
  const issuer = `${opts.url}/auth/v1`;
  // Loopback names only: a request naming any other host reached us through a rebound name.
  const local = (req: Request) => {
    const host = req.headers.get("host");
    const hosts = [`127.0.0.1:${origin.port}`, `localhost:${origin.port}`];
    const from = req.headers.get("origin");
    return host !== null && hosts.includes(host) &&
      (from === null || hosts.some((h) => from === `http://${h}`));
  };

  /** An HTML page for the loopback origin only, under the CSP (plus what `scripts` allows). */
  const htmlPage = (req: Request, html: string, scripts = "") => {
    if (req.method !== "GET" && req.method !== "HEAD") return json(405, { message: "GET only" });
    if (!local(req)) return json(403, { message: "the local page answers on 127.0.0.1 only" });
    return new Response(req.method === "HEAD" ? null : html, {
      headers: {
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": CSP.replace("script-src 'self'", `script-src 'self'${scripts}`),
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  };

  const home = async (req: Request) =>
    htmlPage(
      req,
      (await Deno.readTextFile(`${REPO_ROOT}/dev/web/index.html`))
        .replace("%ANON_KEY%", opts.keys.anonKey),
    );

  /**
   * The template's own page, as an app serves it: its two settings filled in for this stack, its
   * inline script allowed by hash. Its session is supabase-js's stored one, as in an app.
   */
  const templatePage = async (req: Request) => {
    const html = (await Deno.readTextFile(`${REPO_ROOT}${TEMPLATE_HTML}`))
      .replace("https://YOUR-PROJECT.supabase.co", opts.url)
      .replace("YOUR-ANON-OR-PUBLISHABLE-KEY", opts.keys.anonKey);
    const inline = [...html.matchAll(/<script type="module">([\s\S]*?)<\/script>/g)];
    const hashes = await Promise.all(inline.map(async ([, code]) => {
      const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(code));
      return ` 'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`;
    }));
    return htmlPage(req, html, hashes.join(""));
  };

  const file = async (req: Request) => {
    if (req.method !== "GET" && req.method !== "HEAD") return json(405, { message: "GET only" });
    const path = new URL(req.url).pathname;
    if (path === TEMPLATE_HTML) return await templatePage(req);
    const type = path === SUPABASE_JS
      ? "text/javascript"
      : Object.hasOwn(FILES, path)
      ? FILES[path]
      : undefined;
    if (!type) return json(404, { message: `no file ${path}` });
    const body = path === SUPABASE_JS
      ? supabaseBrowserBuild
      : await Deno.readFile(`${REPO_ROOT}${path}`);
    return new Response(req.method === "HEAD" ? null : body, {
      headers: {
        "content-type": `${type}; charset=utf-8`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  };

  const session = async (req: Request) => {
    if (req.method !== "POST") return json(405, { message: "POST only" });
    if (!local(req)) return json(403, { message: "demo sign-in answers on 127.0.0.1 only" });
    let email: unknown;
    try {
      email = (await req.json())?.email;
    } catch {
      return json(400, { message: 'send {"email": "alice@example.com"}' });
    }
    const demo = DEMO_EMAILS.find((e) => e === email);
    if (!demo) return json(400, { message: `demo users: ${DEMO_EMAILS.join(", ")}` });
    // The email is one of ours, never the caller's text: safe to put into SQL.
    const row = await opts.psql(
      `select json_build_object('id', id, 'email', email, 'phone', phone,
         'app_metadata', raw_app_meta_data, 'user_metadata', raw_user_meta_data,
         'is_anonymous', is_anonymous)
       from auth.users where email = '${demo}'`,
    );
    if (!row.trim()) return json(404, { message: `${demo} is not in this database` });
    const now = Date.now();
    const token = await devAccessToken(opts.keys.signingKey, issuer, JSON.parse(row), {
      ttlSeconds: TOKEN_TTL_SECONDS,
      now,
    });
    return json(200, {
      access_token: token,
      token_type: "bearer",
      expires_at: Math.floor(now / 1000) + TOKEN_TTL_SECONDS,
      email: demo,
    });
  };

  return {
    home,
    mounts: [
      { prefix: "/templates/web", handler: file },
      { prefix: "/dev/web", handler: file },
      { prefix: "/__local/session", handler: session },
      // Browsers ask for it on every page; nothing to show is not an error.
      {
        prefix: "/favicon.ico",
        handler: () => Promise.resolve(new Response(null, { status: 204 })),
      },
    ],
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}
