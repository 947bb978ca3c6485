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
      await ledger.complete(k, { answer: 42 });
      assertEquals(await ledger.claim(k, "fp-1"), { status: "done", result: { answer: 42 } });
      assertEquals(await ledger.claim(k, "fp-2"), { status: "mismatch" });
    });
    await t.step("a released key can be claimed again at once", async () => {
      const k = key();
      await ledger.claim(k, null);
      await ledger.release(k);
      assertEquals((await ledger.claim(k, null)).status, "claimed");
    });
    await t.step("batched completion completes every key of the batch", async () => {
      const keys = [key(), key(), key()];
      for (const k of keys) await ledger.claim(k, null);
      await Promise.all(keys.map((k, i) => ledger.completeSoon(k, { i })));
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
