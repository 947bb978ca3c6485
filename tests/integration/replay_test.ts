/**
 * What a repeat of an HTTPS Idempotency-Key is told (an outside review's findings): a replay is
 * the first answer's bytes, not the body re-serialised from the ledger's `jsonb` with its keys
 * reordered; and a 409 `idempotency_in_progress` says when to retry truly, from what the
 * instance knows, without a database call: the seconds left on the lease while the first run
 * runs, 1 once it has answered and only its completion is on its way.
 */
import { assert, assertEquals } from "../assert.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import { SETTLE_WAIT_MS } from "../../supabase/functions/_shared/claims.ts";
import { fingerprint, LEASE_SECONDS } from "../../supabase/functions/_shared/ledger.ts";
import { integration, newUser, psql, startGateway, taskCount, tokenFor } from "../fixtures.ts";
import { addAfter } from "../support/slow_command.ts";

let gate = Promise.resolve();
let started = 0;
const gatedAdd = addAfter("gated-add", "Add a task once the test lets it (tests)", () => {
  started++;
  return gate;
});

/** Completion calls wait here while the test holds them. */
let completions = Promise.resolve();

const holdCompletions =
  (fetch: typeof globalThis.fetch): typeof globalThis.fetch => async (input, init) => {
    if (String(input).includes("/rpc/gateway_complete_deliveries")) await completions;
    return fetch(input, init);
  };

/** POSTs `/commands/<name>` with an Idempotency-Key; the answer's status, headers and bytes. */
async function keyed(
  gw: Awaited<ReturnType<typeof startGateway>>,
  token: string,
  name: string,
  key: string,
  args: Record<string, unknown> = { title: "same bytes" },
) {
  const res = await gw.request(`/commands/${name}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "idempotency-key": key,
    },
    body: JSON.stringify(args),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function until(what: string, check: () => boolean) {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("what a repeat of an Idempotency-Key is told", integration, async (t) => {
  const options = { commands: [...commands, gatedAdd], wrapFetch: holdCompletions };
  const a = await startGateway(options);
  const b = await startGateway(options);
  const user = await newUser();
  const token = await tokenFor(user);
  try {
    await t.step("a replay is the first answer, byte for byte, on either instance", async () => {
      const key = crypto.randomUUID();
      const first = await keyed(a, token, "add", key);
      assertEquals(first.status, 200);
      await a.handler.core.drain();
      for (const gw of [a, b]) {
        const again = await keyed(gw, token, "add", key);
        assertEquals(again.headers.get("idempotent-replayed"), "true");
        assertEquals(again.text, first.text);
      }
      // A final error is stored and replayed the same way.
      const refused = await keyed(a, token, "done", `${key}-done`, { id: 2 ** 52 });
      await a.handler.core.drain();
      const refusedAgain = await keyed(b, token, "done", `${key}-done`, { id: 2 ** 52 });
      assertEquals([refusedAgain.status, refusedAgain.text], [refused.status, refused.text]);
      assertEquals(await taskCount(user.id), 1);
    });

    await t.step(
      "an answer stored by an older gateway (a JSON value) is still replayed",
      async () => {
        // During a rolling deploy, rows completed by gateways before byte-identical replays hold
        // the body as JSON; they are sent re-serialised, as those gateways did.
        const key = crypto.randomUUID();
        const print = fingerprint(`add\n${JSON.stringify({ title: "older" })}`);
        const body = { ok: true, text: "Added #1: older", data: null };
        await psql(
          `insert into gateway_private.deliveries (key, fingerprint, state, result)
         values ('http:${key}@${user.id}', '${print}', 'done',
                 '${JSON.stringify({ status: 200, body })}')`,
        );
        const replayed = await keyed(b, token, "add", key, { title: "older" });
        assertEquals(replayed.status, 200);
        assertEquals(replayed.headers.get("idempotent-replayed"), "true");
        assertEquals(JSON.parse(replayed.text), body);
      },
    );

    await t.step(
      "while the first run runs here: the lease's seconds left, no database call",
      async () => {
        const key = crypto.randomUUID();
        let open!: () => void;
        gate = new Promise((r) => open = r);
        const was = started;
        const first = keyed(a, token, "gated-add", key);
        await until("the first run to start", () => started > was);
        const calls = a.dbCalls();
        const busy = await keyed(a, token, "gated-add", key);
        assertEquals(a.dbCalls(), calls, "answered from what this instance knows");
        assertEquals(busy.status, 409);
        assertEquals(JSON.parse(busy.text).error.code, "idempotency_in_progress");
        const retryAfter = Number(busy.headers.get("retry-after"));
        assert(retryAfter >= LEASE_SECONDS - 1 && retryAfter <= LEASE_SECONDS, `${retryAfter}`);
        // The other instance asks the ledger, which says the same.
        const elsewhere = await keyed(b, token, "gated-add", key);
        assertEquals(elsewhere.status, 409);
        assert(Number(elsewhere.headers.get("retry-after")) <= LEASE_SECONDS);
        open();
        assertEquals((await first).status, 200);
        await a.handler.core.drain();
      },
    );

    await t.step("once answered, its completion pending: 1 s, or the answer", async () => {
      // Before: 12 s (the whole lease) from the ledger, though the answer is stored ~30 ms later.
      const key = crypto.randomUUID();
      let letGo!: () => void;
      // Held until the test lets it go (at most 3 s, so a gateway that waits for it ends).
      completions = new Promise((r) => (letGo = r, setTimeout(r, 3_000)));
      const first = await keyed(a, token, "add", key, { title: "completing" });
      assertEquals(first.status, 200);
      const calls = a.dbCalls();
      const started = performance.now();
      const busy = await keyed(a, token, "add", key, { title: "completing" });
      const waited = performance.now() - started;
      assertEquals(busy.status, 409);
      assertEquals(busy.headers.get("retry-after"), "1");
      assert(waited < SETTLE_WAIT_MS + 1_000, `waited ${Math.round(waited)} ms`);
      // A repeat while the completion is about to land waits for it and replays the answer.
      const repeat = keyed(a, token, "add", key, { title: "completing" });
      setTimeout(letGo, 50);
      const replayed = await repeat;
      assertEquals([replayed.status, replayed.text], [200, first.text]);
      assertEquals(replayed.headers.get("idempotent-replayed"), "true");
      assertEquals(a.dbCalls() - calls, 1, "only the completion itself went to the database");
      await a.handler.core.drain();
    });
  } finally {
    gate = Promise.resolve();
    completions = Promise.resolve();
    await a.close();
    await b.close();
  }
});
