/**
 * Adversarial checks of the HTTP/1.1 client (supabase/functions/_shared/http1.ts), written by an
 * outside review. The first section holds the defects it found (each failed before its fix; the
 * comment says what was wrong); the second holds probes that found nothing, kept as guards.
 */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { createHttp1Fetch } from "../../supabase/functions/_shared/http1.ts";
import { fetchFailure } from "../../supabase/functions/_shared/db.ts";
import { freePort } from "../../dev/ports.ts";
import { ok, rawServer } from "../support/raw_server.ts";

const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// ───────────────────────────── DEFECTS FOUND (fixed; each failed before) ─────────────────────

Deno.test("an already aborted signal rejects with its reason even when the upstream is down", async () => {
  // fetch rejects with signal.reason before connecting; http1 connects first, and a refused
  // connect becomes a "(Connect)" TypeError, which fetchFailure maps to 503 instead of an abort.
  const client = createHttp1Fetch();
  const controller = new AbortController();
  controller.abort();
  const err = await assertRejects(() =>
    client(`http://127.0.0.1:${freePort()}/`, { signal: controller.signal })
  );
  assertEquals((err as DOMException).name, "AbortError");
});

Deno.test("an abort (the DB timeout) is honoured while the TCP connect is pending", async () => {
  // Deno.connect is awaited before the abort listener exists: a black-holed upstream (SYNs
  // dropped) holds the call for the kernel's connect timeout (~2 min), past DB_TIMEOUT_MS.
  const real = Deno.connect;
  let release!: () => void;
  const stalled = new Promise<void>((r) => release = r);
  // deno-lint-ignore no-explicit-any
  (Deno as any).connect = () => stalled.then(() => Promise.reject(new Error("timed out")));
  const safety = setTimeout(release, 1500);
  const client = createHttp1Fetch();
  try {
    const t0 = performance.now();
    const err = await assertRejects(() =>
      client("http://10.255.255.1/rest/v1/x", { signal: AbortSignal.timeout(50) })
    );
    const took = performance.now() - t0;
    assertEquals((err as DOMException).name, "TimeoutError");
    assert(took < 500, `the abort took ${Math.round(took)} ms to take effect`);
  } finally {
    release();
    clearTimeout(safety);
    // deno-lint-ignore no-explicit-any
    (Deno as any).connect = real;
    await sleep(0);
  }
});

Deno.test("a 205 Reset Content answer is returned, not turned into an error", async () => {
  // The empty body is a Uint8Array(0), not null; `new Response(body, {status: 205})` throws.
  const server = rawServer(() => ("HTTP/1.1 205 Reset Content\r\ncontent-length: 0\r\n\r\n"));
  const client = createHttp1Fetch();
  try {
    const res = await client(`${server.url}/`, { method: "POST", body: "x" });
    assertEquals([res.status, await res.text()], [205, ""]);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("a response header value with non-Latin-1 UTF-8 does not fail the call", async () => {
  // The head is decoded as UTF-8, so "€" becomes U+20AC, which Headers rejects as a ByteString;
  // fetch keeps raw bytes (one char per byte) and succeeds.
  const server = rawServer(
    () => (ok("[]", 'content-disposition: inline; filename="1 €.json"\r\n')),
  );
  const client = createHttp1Fetch();
  try {
    const res = await client(`${server.url}/`);
    assertEquals([res.status, await res.text()], [200, "[]"]);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("when building the Response throws, the closed connection is not left in the pool", async () => {
  // release() puts the connection in the pool before `new Response` runs; its throw closes the
  // connection in the catch, but it stays pooled, so the next call picks a dead socket: a POST
  // fails with "Bad resource ID" (mapped to 504) though the server is fine.
  const server = rawServer((_h, n) => // A status `Response` refuses (outside 200-599) makes building it throw.
  (n === 1 ? "HTTP/1.1 999 Odd\r\ncontent-length: 0\r\n\r\n" : ok("fine")));
  const client = createHttp1Fetch();
  try {
    await assertRejects(() => client(`${server.url}/`, { method: "POST", body: "a" }));
    const res = await client(`${server.url}/`, { method: "POST", body: "b" }).catch((e) => e);
    assert(res instanceof Response, `second POST failed: ${res} -> ${fetchFailure(res).status}`);
    assertEquals(await res.text(), "fine");
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("after 100 Continue, a final head that crosses the buffer compaction is still found", async () => {
  // fill() compacts (copyWithin) when the buffer is full and start > 0, but readAnswer's `scan`
  // offset is not shifted: the first `start` bytes read after compaction are never scanned, so a
  // "\r\n\r\n" landing there is missed and the call hangs until timeout.
  const cont = "HTTP/1.1 100 Continue\r\n\r\n"; // 25 bytes: start = 25 after it
  const base = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-pad: \r\n\r\n";
  const head = base.replace("x-pad: ", "x-pad: " + "p".repeat(16370 - base.length));
  assertEquals(head.length, 16370); // its end falls in the unscanned window [16384, 16409)
  const server = rawServer(() => ({ parts: [cont, head + "ok"], pauseMs: 50 }));
  const client = createHttp1Fetch();
  try {
    const res = await client(`${server.url}/`, {
      method: "POST",
      body: "x",
      signal: AbortSignal.timeout(2000),
    });
    assertEquals(await res.text(), "ok");
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("redirects are followed as fetch does (redirect: 'follow' is fetch's default)", async () => {
  // A self-hosted gateway answering 307/308 (e.g. a trailing-slash or path rewrite) is followed
  // by fetch; http1 hands the 3xx to postgrest-js, which reports it as an error.
  const server = rawServer((
    { head: h },
  ) => (h.startsWith("GET /old ")
    ? "HTTP/1.1 307 Temporary Redirect\r\nlocation: /new\r\ncontent-length: 0\r\n\r\n"
    : h.startsWith("POST /form ")
    ? "HTTP/1.1 303 See Other\r\nlocation: /done\r\ncontent-length: 0\r\n\r\n"
    : ok('{"moved":true}'))
  );
  const client = createHttp1Fetch();
  try {
    const res = await client(`${server.url}/old`);
    assertEquals(res.status, 200);
    assertEquals(await res.json(), { moved: true });
    assertEquals(res.redirected, true);
    // 303 after a POST: the follow-up is a GET without the body, as fetch sends it.
    const seeOther = await client(`${server.url}/form`, {
      method: "POST",
      body: "x=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    assertEquals(await seeOther.json(), { moved: true });
    const last = server.seen.map((s) => s.head).at(-1)!;
    assert(last.startsWith("GET /done "), last);
    assert(!/content-(type|length)/i.test(last), last);
    // redirect: "manual" hands the 3xx back.
    const manual = await client(`${server.url}/old`, { redirect: "manual" });
    assertEquals([manual.status, manual.headers.get("location")], [307, "/new"]);
  } finally {
    client.close();
    server.close();
  }
});

// ───────────────────────────── CHECKED, PASSES (no defect found) ────────────────────────────

Deno.test("guard: IPv6 literal with port: connects to ::1 and sends host [::1]:port", async () => {
  let server;
  try {
    server = rawServer(() => (ok("v6")), "::1");
  } catch {
    return; // no IPv6 loopback here
  }
  const client = createHttp1Fetch();
  try {
    assertEquals(await (await client(new URL(`${server.url}/x?y=1`))).text(), "v6");
    assert(server.seen.map((s) => s.head)[0].startsWith("GET /x?y=1 HTTP/1.1\r\n"));
    assert(server.seen.map((s) => s.head)[0].includes(`\r\nhost: [::1]:${server.port}`));
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("guard: uppercase scheme, query without path, fragment dropped, userinfo to fallback", async () => {
  const server = rawServer(() => (ok("u")));
  const handed: string[] = [];
  const client = createHttp1Fetch({
    fallback: (i) => (handed.push(String(i)), Promise.resolve(new Response("fb"))),
  });
  try {
    const url = server.url.replace("http:", "HTTP:");
    assertEquals(await (await client(`${url}?a=1#frag`)).text(), "u");
    assert(server.seen.map((s) => s.head)[0].startsWith("GET /?a=1 HTTP/1.1\r\n"));
    assertEquals(await (await client(`http://u:p@127.0.0.1:${server.port}/`)).text(), "fb");
    assertEquals(handed.length, 1);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("guard: HEAD with chunked/length headers, 304 with length, then reuse is clean", async () => {
  const server = rawServer((
    { head: h },
    n,
  ) => (h.startsWith("HEAD")
    ? "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
    : n === 2
    ? "HTTP/1.1 304 Not Modified\r\ncontent-length: 50\r\n\r\n"
    : ok(`n${n}`))
  );
  const client = createHttp1Fetch();
  try {
    assertEquals(await (await client(`${server.url}/`, { method: "HEAD" })).text(), "");
    const r304 = await client(`${server.url}/`);
    assertEquals([r304.status, await r304.text()], [304, ""]);
    assertEquals(await (await client(`${server.url}/`)).text(), "n3");
    assertEquals(server.connections(), 1);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("guard: pipelined leftovers (extra bytes after the answer) never reach the next request", async () => {
  const server = rawServer((_h, n) =>
    n === 1 ? { parts: [ok("first"), ok("SMUGGLED")], pauseMs: 10 } : (ok(`n${n}`))
  );
  const client = createHttp1Fetch();
  try {
    assertEquals(await (await client(`${server.url}/`)).text(), "first");
    await sleep(40); // the extra answer arrives while idle: the peek drops the connection
    assertEquals(await (await client(`${server.url}/`)).text(), "n2");
    assertEquals(server.connections(), 2);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("guard: conflicting Content-Length and bad chunk sizes are rejected", async () => {
  const server = rawServer((_h, n) =>
    n === 1
      ? ("HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nabc")
      : ("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n-1\r\n")
  );
  const client = createHttp1Fetch();
  try {
    await assertRejects(() => client(`${server.url}/`), (e) => e instanceof TypeError);
    await assertRejects(() => client(`${server.url}/`), (e) => e instanceof TypeError);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("guard: abort mid-write of a large body rejects with the reason, no listener kept", async () => {
  // The server never reads: the 32 MiB write blocks once the socket buffers are full.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  const client = createHttp1Fetch();
  const controller = new AbortController();
  let added = 0, removed = 0;
  const signal = controller.signal;
  const add = signal.addEventListener.bind(signal), rem = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...a: Parameters<typeof add>) => (added++, add(...a))) as typeof add;
  signal.removeEventListener =
    ((...a: Parameters<typeof rem>) => (removed++, rem(...a))) as typeof rem;
  try {
    const call = client(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`, {
      method: "POST",
      body: new Uint8Array(32 * 1024 * 1024),
      signal,
    });
    await sleep(100);
    controller.abort();
    const err = await assertRejects(() => call);
    assertEquals((err as DOMException).name, "AbortError");
    assert(added >= 1, "the abort was listened for");
    assertEquals(added, removed, "every abort listener was removed");
  } finally {
    client.close();
    (await accepted).close();
    listener.close();
  }
});

Deno.test("guard: CR/LF cannot be smuggled through method, path or host", async () => {
  const server = rawServer(() => (ok("x")));
  const handed: string[] = [];
  const client = createHttp1Fetch({
    fallback: (i) => (handed.push(String(i)), Promise.resolve(new Response("fb"))),
  });
  try {
    await assertRejects(() => client(`${server.url}/`, { method: "GET /evil HTTP/1.1\r\nx:" }));
    await client(`${server.url}/a\r\nx-evil: 1`);
    await client(`http://127.0.0.1\r\nx-evil: 1/`);
    assertEquals(handed.length, 2, "both went to fetch, which refuses or encodes them");
    assertEquals(server.seen.map((s) => s.head).length, 0);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("guard: a process with pooled idle connections exits at once (unref)", async () => {
  const server = rawServer(() => (ok("x")));
  try {
    const src = `import { createHttp1Fetch } from ${
      JSON.stringify(new URL("../../supabase/functions/_shared/http1.ts", import.meta.url).href)
    };\nconst c = createHttp1Fetch();\nawait (await c(${
      JSON.stringify(server.url + "/")
    })).text();`;
    const t0 = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--quiet", src],
      stdout: "null",
      stderr: "piped",
    }).output();
    assertEquals(out.code, 0, decoder.decode(out.stderr));
    assert(performance.now() - t0 < 10_000, "the idle connection or its timer kept it alive");
  } finally {
    server.close();
  }
});
