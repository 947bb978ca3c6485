/**
 * The batched completion over a counting RPC (the ledger's rules are tested against the pipeline
 * in pipeline_test.ts; the SQL side runs against the real database in the integration tests).
 */
import { assert, assertEquals } from "../assert.ts";
import { createLedger } from "../../supabase/functions/_shared/ledger.ts";

Deno.test("completeSoon: completions within the window share one call", async () => {
  const calls: { fn: string; args: Record<string, unknown> }[] = [];
  // The database completes what its claims still hold: here "b" was taken over meanwhile.
  const rpc = <T>(fn: string, args: Record<string, unknown>) => {
    calls.push({ fn, args });
    const items = args.p_items as { key: string; claim: number }[];
    return Promise.resolve(items.filter((i) => i.key !== "b") as T);
  };
  const ledger = createLedger(rpc);
  const done = await Promise.all([
    ledger.completeSoon("a", 1, 1),
    ledger.completeSoon("b", 3, 2),
    ledger.completeSoon("c", 1, null),
  ]);
  assertEquals(done, [true, false, true], "each caller learns whether its key was completed");
  assertEquals(calls, [{
    fn: "gateway_complete_deliveries",
    args: {
      p_items: [
        { key: "a", claim: 1, result: 1 },
        { key: "b", claim: 3, result: 2 },
        { key: "c", claim: 1, result: null },
      ],
    },
  }]);
  assertEquals(await ledger.completeSoon("d", 1, 4), true);
  assertEquals(calls.length, 2);
});

Deno.test("completeSoon: a full batch is written at once, and each caller waits for its own", async () => {
  // Before: the full batch was written at once, but its callers were handed the window's timer,
  // which then wrote the next batch early; that batch's callers got a promise for an empty write
  // and were told their completion had landed before it had.
  const writes: { keys: string[]; done: boolean }[] = [];
  const rpc = <T>(_fn: string, args: Record<string, unknown>) => {
    const write = { keys: (args.p_items as { key: string }[]).map((i) => i.key), done: false };
    writes.push(write);
    return new Promise<T>((resolve) =>
      setTimeout(() => {
        write.done = true;
        resolve(args.p_items as T);
      }, 50)
    );
  };
  const landed = (key: string) => writes.some((w) => w.done && w.keys.includes(key));
  const ledger = createLedger(rpc);
  const first = Array.from({ length: 100 }, (_, i) => ledger.completeSoon(`k${i}`, 1, i));
  const late = ledger.completeSoon("after", 1, "x");
  await late;
  assert(landed("after"), "told its completion landed before the write carrying it did");
  await Promise.all(first);
  for (let i = 0; i < 100; i++) assert(landed(`k${i}`));
  assertEquals(writes.map((w) => w.keys.length), [100, 1], "the full batch at once, then the rest");
});
