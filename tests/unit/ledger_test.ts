/**
 * `once` and the batched completion, over an in-memory ledger and a counting RPC (the SQL side
 * runs against the real database in the integration tests).
 */
import { assert, assertEquals, assertRejects } from "../assert.ts";
import {
  type Claim,
  createLedger,
  type Ledger,
  once,
} from "../../supabase/functions/_shared/ledger.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";

/** An in-memory ledger with the SQL functions' semantics (no leases). */
function memoryLedger(): Ledger & { rows: Map<string, { done: boolean; result?: unknown }> } {
  const rows = new Map<string, { done: boolean; result?: unknown }>();
  const complete = (key: string, result: unknown) => {
    const row = rows.get(key);
    if (row && !row.done) rows.set(key, { done: true, result });
    return Promise.resolve();
  };
  return {
    rows,
    claim(key): Promise<Claim> {
      const row = rows.get(key);
      if (!row) {
        rows.set(key, { done: false });
        return Promise.resolve({ status: "claimed", attempt: 1 });
      }
      return Promise.resolve(
        row.done ? { status: "done", result: row.result } : { status: "busy", retry_after: 30 },
      );
    },
    complete,
    completeSoon: complete,
    release(key) {
      if (!rows.get(key)?.done) rows.delete(key);
      return Promise.resolve();
    },
  };
}

const finalError = (err: GatewayError) => `error: ${err.message}`;

Deno.test("once: runs, stores, replays", async () => {
  const ledger = memoryLedger();
  let runs = 0;
  const run = () => Promise.resolve(`answer ${++runs}`);
  const first = await once(ledger, "k", null, { run, onFinalError: finalError });
  assertEquals(first, { replayed: false, value: "answer 1" });
  const second = await once(ledger, "k", null, { run, onFinalError: finalError });
  assertEquals(second, { replayed: true, stored: "answer 1" });
  assertEquals(runs, 1);
});

Deno.test("once: a final error is stored, a retryable one releases the key", async () => {
  const ledger = memoryLedger();
  const denied = await once(ledger, "a", null, {
    run: () => Promise.reject(new GatewayError(403, "forbidden", "no")),
    onFinalError: finalError,
  });
  assertEquals(denied, { replayed: false, value: "error: no" });
  assertEquals(ledger.rows.get("a"), { done: true, result: "error: no" });
  await assertRejects(() =>
    once(ledger, "b", null, {
      run: () => Promise.reject(new GatewayError(503, "db_unavailable", "down")),
      onFinalError: finalError,
    })
  );
  assertEquals(ledger.rows.has("b"), false);
});

Deno.test("once: a failed delivery releases the key so a retry runs again", async () => {
  const ledger = memoryLedger();
  let runs = 0;
  await assertRejects(() =>
    once(ledger, "k", null, {
      run: () => Promise.resolve(++runs),
      onFinalError: () => 0,
      deliver: () => Promise.reject(new GatewayError(503, "upstream_error", "unreachable")),
    })
  );
  const retry = await once(ledger, "k", null, {
    run: () => Promise.resolve(++runs),
    onFinalError: () => 0,
  });
  assertEquals(retry, { replayed: false, value: 2 });
});

Deno.test("once: a read-only run starts before the claim; a repeat drops its result", async () => {
  const ledger = memoryLedger();
  const order: string[] = [];
  const slowClaim: Ledger = {
    ...ledger,
    claim: async (key, fp) => {
      order.push("claim");
      return await ledger.claim(key, fp);
    },
  };
  const run = () => {
    order.push("run");
    return Promise.resolve("read");
  };
  await once(slowClaim, "k", null, { run, readOnly: true, onFinalError: finalError });
  assertEquals(order, ["run", "claim"]);
  let delivered = 0;
  const repeat = await once(slowClaim, "k", null, {
    run,
    readOnly: true,
    onFinalError: finalError,
    deliver: () => Promise.resolve(void delivered++),
  });
  assert(repeat.replayed);
  assertEquals(delivered, 0);
});

Deno.test("once: busy and a reused key are 409s", async () => {
  const ledger = memoryLedger();
  await ledger.claim("k", null);
  const busy = await assertRejects(() =>
    once(ledger, "k", null, { run: () => Promise.resolve(1), onFinalError: () => 0 })
  );
  assertEquals((busy as GatewayError).code, "idempotency_in_progress");
  const mismatch: Ledger = { ...ledger, claim: () => Promise.resolve({ status: "mismatch" }) };
  const reused = await assertRejects(() =>
    once(mismatch, "k", "fp", { run: () => Promise.resolve(1), onFinalError: () => 0 })
  );
  assertEquals((reused as GatewayError).code, "idempotency_key_reused");
});

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
