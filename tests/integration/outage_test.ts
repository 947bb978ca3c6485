/**
 * PostgREST going away mid-run: the gateway answers 503 quickly (health and commands), then
 * recovers on its own when PostgREST is back. Uses its own PostgREST so other tests keep theirs.
 */
import { assert, assertEquals } from "../assert.ts";
import {
  integration,
  newUser,
  ownPostgrest,
  runCommand,
  startGateway,
  taskCount,
  tokenFor,
} from "../fixtures.ts";

Deno.test("PostgREST down: 503 quickly, then recovery", integration, async (t) => {
  const rest = await ownPostgrest("outage-test");
  const gw = await startGateway({ restUrl: rest.url });
  const user = await newUser();
  const token = await tokenFor(user);
  try {
    await t.step("works while PostgREST is up", async () => {
      assertEquals((await runCommand(gw, token, "add", { title: "before" })).status, 200);
    });
    await rest.stop();
    await t.step("health answers 503 fast", async () => {
      await new Promise((r) => setTimeout(r, 1100)); // past the health cache
      const started = performance.now();
      const res = await gw.request("/health");
      const body = await res.json();
      assertEquals(res.status, 503);
      assertEquals(body.error.code, "db_unavailable");
      assert(res.headers.get("retry-after"), "Retry-After missing");
      assert(performance.now() - started < 1000, "health took over a second");
    });
    await t.step("a command answers 503 fast and writes nothing", async () => {
      const started = performance.now();
      const res = await runCommand(gw, token, "add", { title: "during" });
      assertEquals(res.status, 503);
      assertEquals((res.body.error as { code: string }).code, "db_unavailable");
      assert(performance.now() - started < 1000, "command took over a second");
      const read = await runCommand(gw, token, "tasks");
      assertEquals(read.status, 503);
    });
    await rest.start();
    await t.step("recovers when PostgREST is back", async () => {
      await new Promise((r) => setTimeout(r, 1100));
      assertEquals((await gw.request("/health")).status, 200);
      assertEquals((await runCommand(gw, token, "add", { title: "after" })).status, 200);
      assertEquals(await taskCount(user.id), 2);
    });
  } finally {
    await gw.close();
    await rest.stop();
  }
});
