/**
 * The real entry point (`supabase/functions/gateway/index.ts`, run with `deno run`) under the
 * environment `supabase functions serve` gives a function, read from the CLI's source
 * (apps/cli-go/internal/functions/serve/serve.go `ServeFunctions` and templates/main.ts):
 * `SUPABASE_URL=http://kong:8000`, the legacy `SUPABASE_ANON_KEY` / `SUPABASE_SERVICE_ROLE_KEY`
 * JWTs, `SUPABASE_DB_URL`, `SUPABASE_JWKS` from `ResolveJWKS` (without `signing_keys_path`: just
 * the legacy secret as an `oct` key), and `SUPABASE_PUBLISHABLE_KEYS` / `SUPABASE_SECRET_KEYS` as
 * `{"default":"sb_..."}`. `SUPABASE_INTERNAL_*` variables are filtered out before the function
 * sees them; `SB_EXECUTION_ID` and `SB_REGION` exist on hosted Supabase only.
 *
 * What is simulated, and how:
 * - Kong. `kong:8000` resolves only inside the CLI's Docker network, so the gateway process gets
 *   `HTTP_PROXY` pointing at a small stand-in here. It does what the CLI's kong.yml does for
 *   `/rest/v1`: keeps a user's bearer token, else swaps the `sb_` API keys for the legacy JWTs
 *   (the `BearerToken` expression in apps/cli-go/internal/start/start.go), and forwards to the
 *   test stack's PostgREST; `/auth/v1/.well-known/jwks.json` comes from the test stack.
 * - The Edge Runtime decides where a function listens; a `--preload` module here makes the real
 *   `Deno.serve(...)` call listen on a free port and print it.
 * - Supabase Auth does not run: tokens are signed here as the local Auth would sign them (HS256
 *   with the legacy secret, issuer `http://127.0.0.1:54321/auth/v1`).
 */
import { base64url, SignJWT } from "jose";
import { assert, assertEquals } from "../assert.ts";
import { integration, newUser, stackSetting, taskCount } from "../fixtures.ts";
import { cliSigningKey, octJwk, randomSecret } from "../auth_fixtures.ts";
import { REPO_ROOT } from "../../dev/paths.ts";

const LOCAL_ISSUER = "http://127.0.0.1:54321/auth/v1";
const PRELOAD = `
const serve = Deno.serve;
Deno.serve = ((handler) =>
  serve({
    port: 0,
    hostname: "127.0.0.1",
    onListen: ({ port }) => console.error("test-preload: listening on " + port),
  }, handler));
`;

/** The stand-in for the CLI's Kong; see the module header. */
function startKong(keys: { publishable: string; secret: string }) {
  const rest = stackSetting("STACK_REST_URL");
  const jwks = `${stackSetting("STACK_URL")}/auth/v1/.well-known/jwks.json`;
  const anonJwt = stackSetting("SUPABASE_ANON_KEY");
  const serviceJwt = stackSetting("SUPABASE_SERVICE_ROLE_KEY");
  const seen: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const url = new URL(req.url); // absolute form, as a proxy receives it
    const key = req.headers.get("apikey");
    const which = key === keys.secret ? "secret" : key === keys.publishable ? "publishable" : key;
    seen.push(`${url.host}${url.pathname} ${which}`);
    if (url.host !== "kong:8000") return new Response("not kong", { status: 502 });
    if (url.pathname === "/auth/v1/.well-known/jwks.json") return await fetch(jwks);
    if (!url.pathname.startsWith("/rest/v1/")) return new Response("no route", { status: 404 });
    const headers = new Headers(req.headers);
    const auth = headers.get("authorization");
    const apikey = key;
    const bearer = auth && !auth.startsWith("Bearer sb_")
      ? auth
      : apikey === keys.secret
      ? `Bearer ${serviceJwt}`
      : apikey === keys.publishable
      ? `Bearer ${anonJwt}`
      : apikey;
    headers.delete("host");
    if (bearer) headers.set("authorization", bearer);
    else headers.delete("authorization");
    return await fetch(`${rest}${url.pathname.slice("/rest/v1".length)}${url.search}`, {
      method: req.method,
      headers,
      body: req.body,
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, seen, stop: () => server.shutdown() };
}

/** `deno run` of the real entry point; resolves once it listens, or with its exit. */
async function bootEntryPoint(env: Record<string, string>, proxy: string) {
  const preload = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(preload, PRELOAD);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-env",
      "--allow-net",
      "--no-prompt",
      "--preload",
      preload,
      "supabase/functions/gateway/index.ts",
    ],
    cwd: REPO_ROOT,
    clearEnv: true,
    env: {
      ...env,
      HTTP_PROXY: proxy,
      // The runtime's own plumbing, not the function's environment: where Deno keeps its cache.
      HOME: Deno.env.get("HOME") ?? "/root",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      NO_COLOR: "1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr: string[] = [];
  const stdout: string[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>, into: string[]) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) into.push(text);
  };
  const drained = Promise.all([collect(child.stdout, stdout), collect(child.stderr, stderr)]);
  const status = child.status;
  const deadline = Date.now() + 60_000;
  let port: number | undefined;
  let exited: Deno.CommandStatus | undefined;
  status.then((s) => exited = s);
  while (!port && !exited && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    port = Number(/test-preload: listening on (\d+)/.exec(stderr.join(""))?.[1]) || undefined;
  }
  return {
    url: port ? `http://127.0.0.1:${port}/functions/v1/gateway` : undefined,
    exited: async () => {
      await status;
      await drained;
      await Deno.remove(preload).catch(() => {});
      return { status: await status, stderr: stderr.join(""), stdout: stdout.join("") };
    },
    async stop() {
      if (!exited) child.kill("SIGTERM");
      return await this.exited();
    },
  };
}

/** An access token as the CLI's local Auth issues it without signing keys (HS256). */
function localToken(secret: string, userId: string, email: string): Promise<string> {
  return new SignJWT({
    sub: userId,
    aud: "authenticated",
    role: "authenticated",
    email,
    aal: "aal1",
    session_id: crypto.randomUUID(),
    is_anonymous: false,
  }).setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(LOCAL_ISSUER).setIssuedAt().setExpirationTime("1h")
    .sign(new TextEncoder().encode(secret));
}

Deno.test({
  name: "supabase functions serve: the real entry point boots with the CLI's environment",
  ...integration,
  async fn(t) {
    const keys = {
      publishable: `sb_publishable_${base64url.encode(crypto.getRandomValues(new Uint8Array(16)))}`,
      secret: `sb_secret_${base64url.encode(crypto.getRandomValues(new Uint8Array(16)))}`,
    };
    const jwtSecret = stackSetting("GATEWAY_JWT_SECRET"); // what the stack's PostgREST trusts
    const cliEnv = {
      SUPABASE_URL: "http://kong:8000",
      SUPABASE_ANON_KEY: stackSetting("SUPABASE_ANON_KEY"),
      SUPABASE_SERVICE_ROLE_KEY: stackSetting("SUPABASE_SERVICE_ROLE_KEY"),
      SUPABASE_DB_URL: stackSetting("STACK_DB_URL"),
      SUPABASE_JWKS: JSON.stringify({ keys: [octJwk(jwtSecret)] }),
      SUPABASE_PUBLISHABLE_KEYS: JSON.stringify({ default: keys.publishable }),
      SUPABASE_SECRET_KEYS: JSON.stringify({ default: keys.secret }),
    };
    // A key made as `supabase gen signing-key --algorithm ES256` makes it, set in the function's
    // .env file; it used to kill the process before it served anything.
    const signingKey = JSON.stringify((await cliSigningKey("ES256")).privateJwk);
    const kong = startKong(keys);
    const gateway = await bootEntryPoint({ ...cliEnv, GATEWAY_SIGNING_KEY: signingKey }, kong.url);
    try {
      if (!gateway.url) throw new Error(`did not start:\n${(await gateway.exited()).stderr}`);
      const user = await newUser();

      await t.step("/health is ready, through Kong with the secret key", async () => {
        const res = await fetch(`${gateway.url}/health`);
        const body = await res.json();
        assertEquals([res.status, body.ok], [200, true], JSON.stringify(body));
        // The new key, not the legacy JWT that is injected too.
        assertEquals(kong.seen, ["kong:8000/rest/v1/rpc/gateway_health secret"]);
      });

      await t.step("a local user's HS256 token runs a command under RLS", async () => {
        const token = await localToken(jwtSecret, user.id, user.email!);
        const res = await fetch(`${gateway.url}/commands/add`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ title: "from functions serve" }),
        });
        const body = await res.json();
        assertEquals([res.status, body.ok], [200, true], JSON.stringify(body));
        assertEquals(await taskCount(user.id), 1);
        assert(kong.seen.includes("kong:8000/rest/v1/tasks publishable"), kong.seen.join(", "));
      });

      await t.step("a token signed with another secret is refused", async () => {
        const forged = await localToken(randomSecret(), user.id, user.email!);
        const res = await fetch(`${gateway.url}/commands/add`, {
          method: "POST",
          headers: { authorization: `Bearer ${forged}`, "content-type": "application/json" },
          body: JSON.stringify({ title: "forged" }),
        });
        const body = await res.json();
        assertEquals([res.status, body.error?.code], [401, "invalid_token"]);
        assertEquals(await taskCount(user.id), 1);
      });
    } finally {
      const { stderr, stdout } = await gateway.stop();
      await kong.stop();
      assert(!/Uncaught|unhandled/i.test(stderr + stdout), stderr);
    }

    await t.step("an unusable signing key stops start-up with one line naming it", async () => {
      const { publicJwk } = await cliSigningKey("ES256");
      const broken = await bootEntryPoint(
        { ...cliEnv, GATEWAY_SIGNING_KEY: JSON.stringify(publicJwk) },
        "http://127.0.0.1:9",
      );
      const { status, stderr } = await broken.exited();
      assertEquals(broken.url, undefined);
      assert(!status.success, "the process kept running");
      const lines = stderr.trim().split("\n");
      assertEquals(lines.length, 1, stderr);
      assert(lines[0].includes("GATEWAY_SIGNING_KEY"), stderr);
    });
  },
});
