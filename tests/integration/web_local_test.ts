/**
 * The local stack's web page over plain HTTP (the browser test drives it in Chromium): what the
 * front door serves at `/` and under `/templates/web/`, and the local-only demo sign-in, which
 * answers demo users only and only requests addressed to the loopback origin.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { integration, stackSetting } from "../fixtures.ts";

/**
 * A sign-in request naming another host (a DNS name rebound to 127.0.0.1), sent over a plain
 * socket: fetch always names the URL's host.
 */
async function reboundHost(origin: string): Promise<Response> {
  const port = new URL(origin).port;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
  const body = JSON.stringify({ email: "alice@example.com" });
  await conn.write(new TextEncoder().encode(
    `POST /__local/session HTTP/1.1\r\nHost: rebound.example:${port}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
      `Connection: close\r\n\r\n${body}`,
  ));
  const raw = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
  const [head, rest] = raw.split("\r\n\r\n", 2);
  const status = Number(head.split(" ")[1]);
  // The body may come chunked: its JSON object is what lies between the first { and the last }.
  return new Response(rest.slice(rest.indexOf("{"), rest.lastIndexOf("}") + 1), { status });
}

Deno.test(
  "web page: the front door serves it, and signs in demo users only",
  integration,
  async (t) => {
    const origin = stackSetting("STACK_URL");
    const session = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${origin}/__local/session`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });

    await t.step("/ is the page, under a CSP that allows this origin only", async () => {
      const res = await fetch(`${origin}/`);
      assertEquals(res.status, 200);
      assertMatch(res.headers.get("content-type")!, /^text\/html/);
      assertMatch(
        res.headers.get("content-security-policy")!,
        /default-src 'none'; script-src 'self';/,
      );
      const html = await res.text();
      for (const words of ["Sign in as alice@example.com", "Sign in as bob@example.com"]) {
        assert(html.includes(words), words);
      }
      assert(html.includes(stackSetting("SUPABASE_ANON_KEY")), "the anon key is not filled in");
    });

    await t.step("supabase-js's browser build comes from the installed package", async () => {
      const res = await fetch(`${origin}/templates/web/supabase.js`);
      assertEquals(res.status, 200);
      const js = await res.text();
      assert(js.startsWith("var supabase=") && js.length > 100_000, js.slice(0, 80));
    });

    await t.step("the template's own HTML has its settings filled in for this stack", async () => {
      const res = await fetch(`${origin}/templates/web/chat-accounts.html`);
      assertEquals(res.status, 200);
      const html = await res.text();
      assert(html.includes(`content="${origin}"`), "supabase-url");
      assertMatch(res.headers.get("content-security-policy")!, /script-src 'self' 'sha256-[^']+'/);
    });

    await t.step("only the listed files are served", async () => {
      for (
        const path of [
          "/templates/web/nope.js",
          "/templates/web/%2e%2e/%2e%2e/deno.json",
          "/dev/web/page.ts",
        ]
      ) {
        const res = await fetch(`${origin}${path}`);
        await res.body?.cancel();
        assertEquals(res.status, 404, path);
      }
    });

    await t.step("a demo user's token works against the Data API under RLS", async () => {
      const res = await session({ email: "alice@example.com" });
      assertEquals(res.status, 200);
      const body = await res.json();
      assertEquals(body.email, "alice@example.com");
      const rest = await fetch(`${origin}/rest/v1/chat_identities?select=id`, {
        headers: {
          apikey: stackSetting("SUPABASE_ANON_KEY"),
          authorization: `Bearer ${body.access_token}`,
        },
      });
      assertEquals(rest.status, 200);
      await rest.body?.cancel();
    });

    await t.step(
      "anyone else, another site, another host name, another method: refused",
      async () => {
        const refused: [Response, number][] = [
          [await session({ email: "eve@example.com" }), 400],
          [await session("alice@example.com"), 400],
          [await session({ email: "alice@example.com" }, { origin: "https://evil.example" }), 403],
          [await reboundHost(origin), 403],
          [await fetch(`${origin}/__local/session`), 405],
        ];
        for (const [res, status] of refused) {
          const body = await res.json();
          assertEquals(res.status, status, JSON.stringify(body));
          assert(!("access_token" in body));
        }
      },
    );
  },
);
