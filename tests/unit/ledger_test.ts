/**
 * The batched completion over a counting RPC (the ledger's rules are tested against the pipeline
 * in pipeline_test.ts; the SQL side runs against the real database in the integration tests).
 */
import { assertEquals } from "../assert.ts";
import { createLedger } from "../../supabase/functions/_shared/ledger.ts";

Deno.test("completeSoon: completions within the window share one call", async () => {
  const calls: { fn: string; args: Record<string, unknown> }[] = [];
  const rpc = <T>(fn: string, args: Record<string, unknown>) => {
    calls.push({ fn, args });
    return Promise.resolve(null as T);
  };
  const ledger = createLedger(rpc);
  await Promise.all([
    ledger.completeSoon("a", 1),
    ledger.completeSoon("b", 2),
    ledger.completeSoon("c", null),
  ]);
  assertEquals(calls, [{
    fn: "gateway_complete_deliveries",
    args: {
      p_items: [{ key: "a", result: 1 }, { key: "b", result: 2 }, { key: "c", result: null }],
    },
  }]);
  await ledger.completeSoon("d", 4);
  assertEquals(calls.length, 2);
});
