/** The state folder's lock, without a stack: held, refused, released, stale, half-written. */
import { assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { acquireStackLock, runningStack } from "../../dev/stack_lock.ts";

const stack = { url: "http://127.0.0.1:1", ports: { front: 1, db: 2, rest: 3 } };
const message = (err: unknown) => (err as Error).message;

Deno.test("stack lock", async (t) => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/stack.json`;
  try {
    await t.step("held: names this process; a second take is refused", async () => {
      const lock = await acquireStackLock(dir, stack);
      assertEquals((await runningStack(dir))?.pid, Deno.pid);
      const err = await assertRejects(() => acquireStackLock(dir, stack));
      assertMatch(message(err), new RegExp(`already running from .* \\(pid ${Deno.pid}, `));
      await lock.release();
      assertEquals(await runningStack(dir), null);
    });
    await t.step("a lock whose process is gone is taken over", async () => {
      const gone = new Deno.Command("true").spawn();
      await gone.status;
      await Deno.writeTextFile(file, JSON.stringify({ ...stack, pid: gone.pid, started: "" }));
      assertEquals(await runningStack(dir), null);
      const lock = await acquireStackLock(dir, stack);
      assertEquals((await runningStack(dir))?.pid, Deno.pid);
      await lock.release();
    });
    await t.step("half-written by a start under way: refused while fresh, then stale", async () => {
      await Deno.writeTextFile(file, '{"pid":');
      const err = await assertRejects(() => acquireStackLock(dir, stack));
      assertMatch(message(err), /another start is under way/);
      const old = new Date(Date.now() - 60_000);
      await Deno.utime(file, old, old);
      const lock = await acquireStackLock(dir, stack);
      await lock.release();
    });
    await t.step("release leaves another holder's file alone", async () => {
      const lock = await acquireStackLock(dir, stack);
      await Deno.writeTextFile(file, JSON.stringify({ ...stack, pid: 1, started: "" }));
      await lock.release();
      assertEquals(JSON.parse(await Deno.readTextFile(file)).pid, 1);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
