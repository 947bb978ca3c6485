/**
 * The SQL side of the delivery ledger and the linking functions on the real database: leases
 * that let a crashed claim be retried, fingerprints, release, batched completion, and who may
 * call what (service_role only; users may not insert links or read the ledger).
 */
import { assert, assertEquals } from "../assert.ts";
import { createServiceRpc } from "../../supabase/functions/_shared/db.ts";
import { createLedger, newClaimId } from "../../supabase/functions/_shared/ledger.ts";
import { directRestFetch } from "../../dev/direct_rest.ts";
import { integration, newUser, psql, stackSetting, tokenFor, webClient } from "../fixtures.ts";

function serviceLedger() {
  const supabaseUrl = stackSetting("SUPABASE_URL");
  const rpc = createServiceRpc(
    { restUrl: `${supabaseUrl}/rest/v1`, serviceKey: stackSetting("SUPABASE_SERVICE_ROLE_KEY") },
    directRestFetch(supabaseUrl, stackSetting("STACK_REST_URL")),
  );
  return { rpc, ledger: createLedger(rpc) };
}

Deno.test(
  "ledger SQL: leases, fingerprints, release, batched completion",
  integration,
  async (t) => {
    const { ledger } = serviceLedger();
    const key = () => `test:${crypto.randomUUID()}`;
    /** Claims `k`; returns the claim's id, failing unless it was claimed as `attempt`. */
    const claimed = async (k: string, leaseSeconds?: number, attempt?: number) => {
      const c = await ledger.claim(k, null, leaseSeconds);
      assert(c.status === "claimed", `not claimed: ${JSON.stringify(c)}`);
      if (attempt !== undefined) assertEquals(c.attempt, attempt);
      return c.claim;
    };
    await t.step("a claim whose holder died is taken over once its lease ends", async () => {
      const k = key();
      const first = await claimed(k, 1, 1);
      const busy = await ledger.claim(k, null, 1);
      assertEquals(busy.status, "busy");
      await new Promise((r) => setTimeout(r, 1100));
      const second = await claimed(k, 1, 2);
      assert(second !== first, "each claim has an id of its own");
    });
    await t.step("done keys replay; another fingerprint is a mismatch", async () => {
      const k = key();
      const c = await ledger.claim(k, "fp-1");
      assert(c.status === "claimed");
      assertEquals(await ledger.complete(k, c.claim, { answer: 42 }), true);
      assertEquals(await ledger.claim(k, "fp-1"), { status: "done", result: { answer: 42 } });
      assertEquals(await ledger.claim(k, "fp-2"), { status: "mismatch" });
    });
    await t.step("a released key can be claimed again at once", async () => {
      const k = key();
      assertEquals(await ledger.release(k, await claimed(k)), true);
      await claimed(k);
    });
    await t.step("a holder whose lease ran out cannot complete or free the new claim", async () => {
      // A's lease ends and B takes the key over; A, still running somewhere, then finishes. Its
      // release, completion and renewal must not touch B's claim (before: the release deleted
      // it and a third instance ran the delivery again).
      const k = key();
      const a = await claimed(k, 1);
      await new Promise((r) => setTimeout(r, 1100));
      const b = await claimed(k, 30);
      assertEquals(await ledger.release(k, a), false, "A is told it lost the claim");
      assertEquals((await ledger.claim(k, null)).status, "busy", "B still holds it");
      assertEquals(await ledger.complete(k, a, { from: "A" }), false);
      assertEquals(await ledger.completeSoon(k, a, { from: "A" }), false);
      assertEquals((await ledger.claim(k, null)).status, "busy", "not completed by A");
      assertEquals(await ledger.extend(k, a), false);
      assertEquals(await ledger.extend(k, b), true);
      assertEquals(await ledger.completeSoon(k, b, { from: "B" }), true);
      assertEquals(await ledger.claim(k, null), { status: "done", result: { from: "B" } });
      assertEquals(await ledger.extend(k, b), false, "a done key is not held");
    });
    await t.step("nor the claim made after a release restarted the attempt count", async () => {
      // An outside review's case: A's lease ends, B takes over and releases (its reply failed),
      // C claims afresh, as attempt 1 again. A, also attempt 1, finishes late: it must not free,
      // renew or complete C's claim.
      const k = key();
      const a = await claimed(k, 1, 1);
      await new Promise((r) => setTimeout(r, 1100));
      assertEquals(await ledger.release(k, await claimed(k, 1, 2)), true);
      const c = await claimed(k, 30, 1);
      assertEquals(await ledger.release(k, a), false);
      assertEquals(await ledger.extend(k, a), false);
      assertEquals(await ledger.complete(k, a, { from: "stale A" }), false);
      assertEquals((await ledger.claim(k, null)).status, "busy", "C still holds it");
      assertEquals(await ledger.complete(k, c, { from: "C" }), true);
    });
    await t.step("a stale claim batched with the key's current one is told it lost", async () => {
      // A third review's case: one instance finishes a stale and the current delivery of a key
      // within one batch window; the batch must answer each claim, not each key.
      const k = key();
      const a = await claimed(k, 1);
      await new Promise((r) => setTimeout(r, 1100));
      const b = await claimed(k, 30);
      const [fromA, fromB] = await Promise.all([
        ledger.completeSoon(k, a, { from: "A" }),
        ledger.completeSoon(k, b, { from: "B" }),
      ]);
      assertEquals({ fromA, fromB }, { fromA: false, fromB: true });
      assertEquals(await ledger.claim(k, null), { status: "done", result: { from: "B" } });
    });
    await t.step("a malformed claim in a batch matches nothing and fails nothing", async () => {
      const { rpc } = serviceLedger();
      const good = key();
      const odd = key();
      const goodClaim = await claimed(good);
      await claimed(odd);
      const done = await rpc("gateway_complete_deliveries", {
        p_items: [
          { key: odd, claim: "x", result: 1 },
          { key: odd, claim: true, result: 1 },
          { key: good, claim: goodClaim, result: 2 },
        ],
      });
      assertEquals(done, [{ key: good, claim: goodClaim }]);
      assertEquals((await ledger.claim(odd, null)).status, "busy");
    });
    await t.step("a gateway deployed before the claim-owner migration still works", async () => {
      // Rolling deploys: the database first, so an older gateway calls without the claim.
      const { rpc } = serviceLedger();
      const released = key();
      await ledger.claim(released, null);
      assertEquals(await rpc("gateway_release_delivery", { p_key: released }), true);
      const completed = key();
      await ledger.claim(completed, null);
      assertEquals(
        await rpc("gateway_complete_delivery", { p_key: completed, p_result: { old: true } }),
        true,
      );
      assertEquals(await ledger.claim(completed, null), {
        status: "done",
        result: { old: true },
      });
      const batched = key();
      await ledger.claim(batched, null);
      await rpc("gateway_complete_deliveries", { p_items: [{ key: batched, result: 1 }] });
      assertEquals(await ledger.claim(batched, null), { status: "done", result: 1 });
    });
    await t.step("a claim asked again with its own id is still its own", async () => {
      // Its first answer was lost (a dropped connection): the gateway asks again, or releases
      // it by its id. Before, such a claim held the key for its lease with nobody running it.
      const k = key();
      const id = newClaimId();
      assertEquals(await ledger.claim(k, null, 30, id), {
        status: "claimed",
        attempt: 1,
        claim: id,
      });
      assertEquals(await ledger.claim(k, null, 30, id), {
        status: "claimed",
        attempt: 1,
        claim: id,
      });
      assertEquals((await ledger.claim(k, null, 30, newClaimId())).status, "busy");
      assertEquals((await ledger.claim(k, null)).status, "busy", "nor an older gateway's");
      assertEquals(await ledger.release(k, id), true);
      const next = newClaimId();
      assertEquals(await ledger.claim(k, null, 30, next), {
        status: "claimed",
        attempt: 1,
        claim: next,
      });
      assertEquals(await ledger.complete(k, next, { done: true }), true);
      assertEquals(await ledger.claim(k, null, 30, next), {
        status: "done",
        result: { done: true },
      });
    });
    await t.step("a renewed lease holds the key past its first end", async () => {
      const k = key();
      const c = await claimed(k, 1);
      assertEquals(await ledger.extend(k, c, 30), true);
      await new Promise((r) => setTimeout(r, 1100));
      assertEquals((await ledger.claim(k, null)).status, "busy");
      assertEquals(await ledger.release(k, c), true);
      await claimed(k);
    });
    await t.step("batched completion completes every key of the batch", async () => {
      const keys = [key(), key(), key()];
      const claims: number[] = [];
      for (const k of keys) claims.push(await claimed(k));
      await Promise.all(keys.map((k, i) => ledger.completeSoon(k, claims[i], { i })));
      for (const [i, k] of keys.entries()) {
        assertEquals(await ledger.claim(k, null), { status: "done", result: { i } });
      }
    });
  },
);

Deno.test("only service_role may call the gateway's SQL functions", integration, async (t) => {
  const user = await newUser();
  const client = webClient(await tokenFor(user));
  const anon = webClient(stackSetting("SUPABASE_ANON_KEY"));
  const calls: [string, Record<string, unknown>][] = [
    ["gateway_claim_delivery", { p_key: "x" }],
    ["gateway_complete_delivery", { p_key: "x", p_result: {} }],
    ["gateway_complete_deliveries", { p_items: [] }],
    ["gateway_release_delivery", { p_key: "x" }],
    ["gateway_extend_delivery", { p_key: "x", p_claim: 1, p_lease_seconds: 10 }],
    ["gateway_purge_deliveries", {}],
    ["gateway_purge_link_state", {}],
    ["gateway_health", {}],
    ["resolve_chat_identity", { p_provider: "telegram", p_external_id: "1" }],
    ["consume_link_code", { p_provider: "telegram", p_external_id: "1", p_code: "ABCDEFGHJK" }],
  ];
  for (const [fn, args] of calls) {
    await t.step(`${fn}: refused to users and anon`, async () => {
      for (const who of [client, anon]) {
        const { error } = await who.rpc(fn, args);
        assert(error, `${fn} was allowed`);
      }
    });
  }
  await t.step("users cannot insert or move links, nor read the ledger tables", async () => {
    const insert = await client.from("chat_identities").insert({
      user_id: user.id,
      provider: "telegram",
      external_id: "123",
    });
    assert(insert.error, "a user inserted a link");
    const ledger = await client.schema("gateway_private" as "public").from("deliveries").select();
    assert(ledger.error, "a user read the ledger");
    assertEquals(
      await psql(`select count(*) from chat_identities where user_id = '${user.id}'`),
      "0",
    );
  });
});
