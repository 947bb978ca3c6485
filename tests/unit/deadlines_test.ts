/**
 * The coarse deadlines (supabase/functions/_shared/deadlines.ts): a deadline fires once, no
 * earlier than asked and at most a tick late; a cancelled one never fires; a call's signal aborts
 * with a TimeoutError, follows the caller's own signal, and is dropped with the call; nothing
 * stays pending (the ticker stops one tick after the last deadline).
 */
import { assert, assertEquals } from "../assert.ts";
import { createDeadlines, TICK_MS } from "../../supabase/functions/_shared/deadlines.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("deadlines: fire once, not early, at most a tick late; cancelled ones never", async () => {
  const deadlines = createDeadlines();
  const fired: { name: string; late: number }[] = [];
  const start = performance.now();
  const at = (name: string, ms: number) =>
    deadlines.after(ms, () => fired.push({ name, late: performance.now() - start - ms }));
  at("short", 30);
  at("long", 90);
  const cancel = at("cancelled", 30);
  cancel();
  cancel(); // twice is harmless
  assertEquals(deadlines.size, 2);
  await sleep(90 + 3 * TICK_MS);
  assertEquals(fired.map((f) => f.name), ["short", "long"]);
  for (const f of fired) {
    assert(f.late >= -1, `${f.name} fired ${-f.late} ms early`);
    // A tick, plus the scheduling slack of a busy test machine.
    assert(f.late <= TICK_MS + 40, `${f.name} fired ${f.late} ms late`);
  }
  assertEquals(deadlines.size, 0);
  await sleep(2 * TICK_MS); // the ticker notices it has nothing left and stops
});

Deno.test("deadlines: a call's signal times out with a TimeoutError, or follows the caller's", async (t) => {
  const deadlines = createDeadlines();
  await t.step("times out", async () => {
    const { signal, done } = deadlines.signal(20);
    await sleep(20 + 3 * TICK_MS);
    assert(signal.aborted, "aborted");
    assertEquals((signal.reason as DOMException).name, "TimeoutError");
    done();
  });
  await t.step("dropped with the call: never aborts", async () => {
    const { signal, done } = deadlines.signal(20);
    done();
    assertEquals(deadlines.size, 0);
    await sleep(20 + 3 * TICK_MS);
    assert(!signal.aborted, "not aborted");
  });
  await t.step("the caller's own signal aborts it, with the caller's reason", () => {
    const outer = new AbortController();
    const { signal, done } = deadlines.signal(10_000, outer.signal);
    outer.abort(new Error("caller gave up"));
    assert(signal.aborted, "aborted");
    assertEquals((signal.reason as Error).message, "caller gave up");
    done();
    assertEquals(deadlines.size, 0);
  });
  await t.step("a caller's signal already aborted is the signal", () => {
    const outer = AbortSignal.abort();
    const { signal, done } = deadlines.signal(10_000, outer);
    assert(signal === outer, "the caller's signal");
    done();
    assertEquals(deadlines.size, 0);
  });
  await sleep(2 * TICK_MS);
});

Deno.test("deadlines: a throwing callback does not stop the others", async () => {
  const deadlines = createDeadlines();
  const seen: string[] = [];
  const errors: unknown[] = [];
  const onError = (e: ErrorEvent) => {
    e.preventDefault();
    errors.push(e.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    deadlines.after(10, () => {
      throw new Error("boom");
    });
    deadlines.after(10, () => seen.push("second"));
    await sleep(10 + 3 * TICK_MS);
    assertEquals(seen, ["second"]);
    assertEquals(errors.length, 1);
  } finally {
    globalThis.removeEventListener("error", onError);
  }
  await sleep(2 * TICK_MS);
});
