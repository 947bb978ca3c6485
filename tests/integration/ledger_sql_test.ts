/**
 * The SQL side of the delivery ledger and the linking functions on the real database: leases
 * that let a crashed claim be retried, fingerprints, release, batched completion, and who may
 * call what (service_role only; users may not insert links or read the ledger).
 */
import { assert, assertEquals } from "../assert.ts";
import { createServiceRpc } from "../../supabase/functions/_shared/db.ts";
import { createLedger } from "../../supabase/functions/_shared/ledger.ts";
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
    await t.step("a claim whose holder died is taken over once its lease ends", async () => {
      const k = key();
      assertEquals(await ledger.claim(k, null, 1), { status: "claimed", attempt: 1 });
      const busy = await ledger.claim(k, null, 1);
      assertEquals(busy.status, "busy");
      await new Promise((r) => setTimeout(r, 1100));
      assertEquals(await ledger.claim(k, null, 1), { status: "claimed", attempt: 2 });
    });
    await t.step("done keys replay; another fingerprint is a mismatch", async () => {
      const k = key();
      await ledger.claim(k, "fp-1");
      await ledger.complete(k, 1, { answer: 42 });
      assertEquals(await ledger.claim(k, "fp-1"), { status: "done", result: { answer: 42 } });
      assertEquals(await ledger.claim(k, "fp-2"), { status: "mismatch" });
    });
    await t.step("a released key can be claimed again at once", async () => {
      const k = key();
      await ledger.claim(k, null);
      await ledger.release(k, 1);
      assertEquals((await ledger.claim(k, null)).status, "claimed");
    });
    await t.step("a holder whose lease ran out cannot complete or free the new claim", async () => {
      // Attempt 1's lease ends and attempt 2 takes the key over; attempt 1, still running
      // somewhere, then finishes. Its release, completion and renewal must not touch attempt 2's
      // claim (before: the release deleted it and a third instance ran the delivery again).
      const k = key();
      assertEquals(await ledger.claim(k, null, 1), { status: "claimed", attempt: 1 });
      await new Promise((r) => setTimeout(r, 1100));
      assertEquals(await ledger.claim(k, null, 30), { status: "claimed", attempt: 2 });
      await ledger.release(k, 1);
      assertEquals((await ledger.claim(k, null)).status, "busy", "attempt 2 still holds it");
      await ledger.complete(k, 1, { from: 1 });
      await ledger.completeSoon(k, 1, { from: 1 });
      assertEquals((await ledger.claim(k, null)).status, "busy", "not completed by attempt 1");
      assertEquals(await ledger.extend(k, 1), false, "attempt 1 is told it lost the claim");
      assertEquals(await ledger.extend(k, 2), true);
      await ledger.complete(k, 2, { from: 2 });
      assertEquals(await ledger.claim(k, null), { status: "done", result: { from: 2 } });
      assertEquals(await ledger.extend(k, 2), false, "a done key is not held");
    });
    await t.step("a gateway deployed before the claim-owner migration still works", async () => {
      // Rolling deploys: the database first, so an older gateway calls without the attempt.
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
    await t.step("a renewed lease holds the key past its first end", async () => {
      const k = key();
      assertEquals(await ledger.claim(k, null, 1), { status: "claimed", attempt: 1 });
      assertEquals(await ledger.extend(k, 1, 30), true);
      await new Promise((r) => setTimeout(r, 1100));
      assertEquals((await ledger.claim(k, null)).status, "busy");
      await ledger.release(k, 1);
      assertEquals((await ledger.claim(k, null)).status, "claimed");
    });
    await t.step("batched completion completes every key of the batch", async () => {
      const keys = [key(), key(), key()];
      for (const k of keys) await ledger.claim(k, null);
      await Promise.all(keys.map((k, i) => ledger.completeSoon(k, 1, { i })));
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
    ["gateway_extend_delivery", { p_key: "x", p_attempt: 1, p_lease_seconds: 10 }],
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
