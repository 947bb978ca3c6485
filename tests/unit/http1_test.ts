/**
 * The gateway's HTTP/1.1 client against real sockets: a scripted TCP server that answers with
 * exact bytes (chunked, Content-Length, to the end of the connection, 100 Continue, closes at
 * chosen moments), and `Deno.serve` for ordinary answers. Checks framing, connection reuse, what
 * happens when a server closes idle or reused connections, aborts, refused connections, header
 * injection and the hand-off to the fallback fetch.
 */
import { assert, assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { createHttp1Fetch } from "../../supabase/functions/_shared/http1.ts";
import { fetchFailure } from "../../supabase/functions/_shared/db.ts";
import { freePort } from "../../dev/ports.ts";
import { ok, rawServer } from "../support/raw_server.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("requests carry method, path, headers and body; answers keep status and headers", async () => {
  const server = rawServer(() => ok('{"ok":true}', "content-range: 0-0/1\r\n"));
  const client = createHttp1Fetch();
  try {
    const res = await client(`${server.url}/rest/v1/tasks?select=id&limit=5`, {
      method: "POST",
      headers: new Headers({ authorization: "Bearer abc", prefer: "return=representation" }),
      body: '{"title":"é"}',
    });
    assertEquals(res.status, 200);
    assertEquals(res.statusText, "OK");
    assertEquals(res.headers.get("content-range"), "0-0/1");
    assertEquals(await res.json(), { ok: true });
    const [req] = server.seen;
    assertMatch(req.head, /^POST \/rest\/v1\/tasks\?select=id&limit=5 HTTP\/1\.1\r\n/);
    assertMatch(req.head, /\r\nhost: 127\.0\.0\.1:\d+\r\n/);
    assertMatch(req.head, /\r\nauthorization: Bearer abc\r\n/);
    assertMatch(req.head, /\r\ncontent-length: 14(\r\n|$)/); // bytes, not characters
    assertMatch(req.head, /\r\ncontent-type: text\/plain;charset=UTF-8\r\n/);
    assertMatch(req.head, /\r\naccept-encoding: identity\r\n/);
    assertEquals(req.body, '{"title":"é"}');
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("connections are kept alive and reused one request at a time", async () => {
  const server = rawServer((_req, n) => ok(String(n)));
  const client = createHttp1Fetch();
  try {
    for (let i = 1; i <= 3; i++) {
      assertEquals(await (await client(`${server.url}/`)).text(), String(i));
    }
    assertEquals(server.connections(), 1);
    const together = await Promise.all([1, 2, 3].map(() => client(`${server.url}/`)));
    await Promise.all(together.map((r) => r.text()));
    assertEquals(server.connections(), 3, "three at once need three connections");
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("chunked answers (PostgREST's framing) are joined, trailers skipped", async () => {
  const server = rawServer(() =>
    "HTTP/1.1 206 Partial Content\r\ntransfer-encoding: chunked\r\n\r\n" +
    '5\r\n[{"a"\r\nA;ext=1\r\n:1},{"a":2\r\n2\r\n}]\r\n0\r\nx-trailer: y\r\n\r\n'
  );
  const client = createHttp1Fetch();
  try {
    const first = await client(`${server.url}/`);
    assertEquals(first.status, 206);
    assertEquals(await first.json(), [{ a: 1 }, { a: 2 }]);
    // Framing ended where it should: the same connection serves the next answer.
    assertEquals(await (await client(`${server.url}/`)).json(), [{ a: 1 }, { a: 2 }]);
    assertEquals(server.connections(), 1);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("an answer without length is read to the end of the connection, which is not reused", async () => {
  const server = rawServer((_req, n) => ({
    parts: [`HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nbody ${n}`],
    close: true,
  }));
  const client = createHttp1Fetch();
  try {
    assertEquals(await (await client(`${server.url}/`)).text(), "body 1");
    assertEquals(await (await client(`${server.url}/`)).text(), "body 2");
    assertEquals(server.connections(), 2);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("100 Continue is skipped; 204 and HEAD have no body", async () => {
  const server = rawServer((req) =>
    req.head.startsWith("HEAD")
      ? "HTTP/1.1 200 OK\r\ncontent-length: 99\r\n\r\n"
      : req.head.startsWith("DELETE")
      ? "HTTP/1.1 204 No Content\r\n\r\n"
      : "HTTP/1.1 100 Continue\r\n\r\n" + ok("done")
  );
  const client = createHttp1Fetch();
  try {
    assertEquals(
      await (await client(`${server.url}/`, { method: "POST", body: "x" })).text(),
      "done",
    );
    const head = await client(`${server.url}/`, { method: "HEAD" });
    assertEquals([head.status, head.headers.get("content-length"), await head.text()], [
      200,
      "99",
      "",
    ]);
    const del = await client(`${server.url}/`, { method: "DELETE" });
    assertEquals([del.status, await del.text()], [204, ""]);
    assertEquals(server.connections(), 1, "none of these left bytes behind");
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("an idle connection the server closed leaves the pool; the next POST goes out once, on a new one", async () => {
  const server = rawServer((_req, n) => ok(String(n)));
  const client = createHttp1Fetch();
  try {
    assertEquals(await (await client(`${server.url}/`, { method: "POST", body: "1" })).text(), "1");
    server.closeAll(); // as a keep-alive timeout would
    await sleep(20);
    assertEquals(await (await client(`${server.url}/`, { method: "POST", body: "2" })).text(), "2");
    assertEquals(server.seen.length, 2, "sent once");
    assertEquals(server.connections(), 2);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("a reused connection dropped before answering: GET is sent again once, POST fails as unknown", async () => {
  // Requests 2 and 5 (each the second on its connection) are read, then dropped unanswered.
  const server = rawServer((_req, n) => n === 2 || n === 5 ? "drop" : ok("fine"));
  const client = createHttp1Fetch();
  try {
    await (await client(`${server.url}/`)).text();
    assertEquals(await (await client(`${server.url}/`)).text(), "fine");
    assertEquals(server.seen.length, 3, "the GET went out again, on a second connection");

    await (await client(`${server.url}/`, { method: "POST", body: "a" })).text();
    const err = await assertRejects(() => client(`${server.url}/`, { method: "POST", body: "b" }));
    assert(err instanceof TypeError);
    assertEquals(server.seen.filter((s) => s.body === "b").length, 1, "the POST went out once");
    assertEquals(fetchFailure(err).status, 504, "it may have been applied: outcome unknown");
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("a refused connection is a TypeError the gateway maps to 503", async () => {
  const client = createHttp1Fetch();
  const err = await assertRejects(() => client(`http://127.0.0.1:${freePort()}/x`));
  assert(err instanceof TypeError);
  assertMatch(String(err), /Connection refused/);
  assertEquals(fetchFailure(err).status, 503);
});

Deno.test("an abort mid-answer rejects with the signal's reason and closes the connection", async () => {
  const server = rawServer(() => "HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf"); // never ends
  const client = createHttp1Fetch();
  try {
    const err = await assertRejects(() =>
      client(`${server.url}/`, { signal: AbortSignal.timeout(50) })
    );
    assertEquals((err as DOMException).name, "TimeoutError");
    const controller = new AbortController();
    controller.abort();
    const early = await assertRejects(() =>
      client(`${server.url}/`, { signal: controller.signal })
    );
    assertEquals((early as DOMException).name, "AbortError");
    assertEquals(server.seen.length, 1, "an already aborted signal sends nothing");
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("header names or values that would split the request are refused before sending", async () => {
  const server = rawServer(() => ok("x"));
  const client = createHttp1Fetch();
  try {
    const attempts: HeadersInit[] = [
      { authorization: "Bearer a\r\nx-admin: 1" },
      { "bad name": "v" },
      [["x", "a\nb"]],
    ];
    for (const headers of attempts) {
      const err = await assertRejects(() => client(`${server.url}/`, { headers }));
      assert(err instanceof TypeError);
    }
    assertEquals(server.seen.length, 0);
    // A path fetch would percent-encode is left to fetch (the fallback), which does.
    await (await client(`${server.url}/a b?q=é`)).text();
    assertMatch(server.seen[0].head, /^GET \/a%20b\?q=%C3%A9 HTTP/);
  } finally {
    client.close();
    server.close();
  }
});

Deno.test("answers larger than allowed, or not HTTP, are errors", async () => {
  const big = rawServer(() => ok("x".repeat(5000)));
  const junk = rawServer(() => ({ parts: ["SSH-2.0-OpenSSH\r\n\r\n"], close: true }));
  const client = createHttp1Fetch({ maxResponseBytes: 1000 });
  try {
    await assertRejects(() => client(`${big.url}/`), (e) => e instanceof TypeError);
    await assertRejects(() => client(`${junk.url}/`), (e) => e instanceof TypeError);
  } finally {
    client.close();
    big.close();
    junk.close();
  }
});

Deno.test("HTTPS, Request objects and streamed bodies go to the fallback fetch", async () => {
  const handed: string[] = [];
  const fallback: typeof fetch = (input) => {
    handed.push(typeof input === "string" ? input : input instanceof URL ? input.href : "Request");
    return Promise.resolve(new Response("fallback"));
  };
  const client = createHttp1Fetch({ fallback });
  await client("https://example.supabase.co/rest/v1/tasks");
  await client(new Request("http://127.0.0.1:1/"));
  await client("http://127.0.0.1:1/", { method: "POST", body: new ReadableStream() });
  await client("http://127.0.0.1:1/", { method: "POST", body: new FormData() });
  assertEquals(handed, [
    "https://example.supabase.co/rest/v1/tasks",
    "Request",
    "http://127.0.0.1:1/",
    "http://127.0.0.1:1/",
  ]);
  // With a proxy configured (HTTP_PROXY), plain HTTP goes to fetch, which uses it.
  const proxied = createHttp1Fetch({ proxied: true, fallback });
  await proxied("http://kong:8000/rest/v1/tasks");
  assertEquals(handed.at(-1), "http://kong:8000/rest/v1/tasks");
});

Deno.test("against Deno.serve: a thousand mixed requests, in parallel, all answered right", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    const size = Number(url.searchParams.get("size"));
    if (req.method === "POST") return new Response(await req.text(), { status: 201 });
    return new Response("y".repeat(size)); // Deno.serve picks its own framing
  });
  const client = createHttp1Fetch();
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const results = await Promise.all(Array.from({ length: 1000 }, async (_, i) => {
      if (i % 3 === 0) {
        const res = await client(`${base}/`, { method: "POST", body: `n=${i}` });
        return res.status === 201 && (await res.text()) === `n=${i}`;
      }
      const size = (i * 997) % 100_000;
      const res = await client(`${base}/?size=${size}`);
      return (await res.text()).length === size;
    }));
    assertEquals(results.filter((ok) => !ok).length, 0);
  } finally {
    client.close();
    await server.shutdown();
  }
});
