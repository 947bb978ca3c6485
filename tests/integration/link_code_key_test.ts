/**
 * `link-code` under an Idempotency-Key: within the key's window (7 days) the same user and key
 * give the same code, so a rerun on another instance (the first died after answering, before the
 * ledger stored its answer) returns the code the client already holds instead of retiring it. A
 * code that was used or retired never becomes valid again, whatever purges ran; past the window
 * the key gives a new code. Without a key, a new code retires the old unused one, as before. Real
 * PostgREST and gateway processes.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  integration,
  linkTelegram,
  newUser,
  psql,
  randomExternalId,
  runCommand,
  startGateway,
  tokenFor,
  webClient,
} from "../fixtures.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { spawnGateway } from "../support/gateway_process.ts";

type Created = { code: string; expires_at: string };

async function createCode(token: string, key?: string): Promise<Created> {
  const { data, error } = await webClient(token)
    .rpc("create_link_code", key === undefined ? {} : { p_idempotency_key: key });
  if (error) throw new Error(`create_link_code: ${error.message}`);
  return data as Created;
}

Deno.test(
  "create_link_code: one code per user and key; none without a key",
  integration,
  async (t) => {
    const gw = await startGateway();
    const [alice, bob] = [await newUser(), await newUser()];
    const [aliceToken, bobToken] = [await tokenFor(alice), await tokenFor(bob)];
    try {
      await t.step("the same key gives the same code and expiry; other keys others", async () => {
        const key = crypto.randomUUID();
        const first = await createCode(aliceToken, key);
        assertMatch(first.code, /^[A-HJ-NP-Z2-9]{10}$/);
        assertEquals(await createCode(aliceToken, key), first);
        const other = await createCode(aliceToken, crypto.randomUUID());
        assert(other.code !== first.code);
        const bobs = await createCode(bobToken, key);
        assert(bobs.code !== first.code && bobs.code !== other.code, "bob's own code");
        assertEquals(
          Number(
            await psql(`select count(*) from gateway_private.link_codes
                           where user_id = '${alice.id}' and used_at is null`),
          ),
          1,
          "a new code retires the unused others, keyed or not",
        );
      });

      await t.step("a used code under its key is the same answer again, still used", async () => {
        const key = crypto.randomUUID();
        const first = await createCode(aliceToken, key);
        const tg = randomExternalId();
        assertMatch(await linkTelegram(gw, tg, first.code), /Linked/);
        assertEquals(await createCode(aliceToken, key), first);
        assertMatch(await linkTelegram(gw, randomExternalId(), first.code), /already used/);
      });

      await t.step(
        "without a key: a fresh code each time, the old unused one retired",
        async () => {
          const old = await createCode(bobToken);
          const fresh = await createCode(bobToken);
          assert(old.code !== fresh.code);
          assertMatch(await linkTelegram(gw, randomExternalId(), old.code), /not valid/);
          assertMatch(await linkTelegram(gw, randomExternalId(), fresh.code), /Linked/);
        },
      );

      await t.step(
        "codes are stored hashed; no API role reads the secret or the keys",
        async () => {
          const key = crypto.randomUUID();
          const { code } = await createCode(aliceToken, key);
          assertEquals(
            await psql(`select count(*) from gateway_private.link_codes
                    where code_hash = extensions.digest('${code}', 'sha256')`),
            "1",
          );
          for (const role of ["anon", "authenticated", "service_role"]) {
            for (const table of ["link_code_secret", "link_code_keys"]) {
              const refused = await psql(
                `set role ${role}; select * from gateway_private.${table}`,
              ).then(() => "read", (err) => String(err));
              assertMatch(refused, /permission denied/, `${role}: ${table}`);
            }
          }
        },
      );

      await t.step("anon cannot create codes, keyed or not", async () => {
        const anon = webClient(gw.env.SUPABASE_ANON_KEY);
        const { error } = await anon.rpc("create_link_code", { p_idempotency_key: "k" });
        assert(error, "anon was answered");
      });
    } finally {
      await gw.close();
    }
  },
);

/** Moves every link-code row of `userId` `age` into the past, then runs both purges. */
async function ageAndPurge(userId: string, age: string, tables: string[]): Promise<void> {
  for (const table of tables) {
    const expires = table === "link_codes" || table === "link_code_keys"
      ? `, expires_at = expires_at - interval '${age}'`
      : "";
    await psql(`update gateway_private.${table}
                set created_at = created_at - interval '${age}'${expires}
                where user_id = '${userId}'`);
  }
  await psql("select public.gateway_purge_link_state(), public.gateway_purge_deliveries()");
}

Deno.test(
  "a used or retired link code never becomes valid again, whatever purges ran",
  integration,
  async (t) => {
    const gw = await startGateway();
    try {
      await t.step("used, its row purged: the key answers it again, still not valid", async () => {
        const alice = await newUser();
        const token = await tokenFor(alice);
        const key = crypto.randomUUID();
        const first = await createCode(token, key);
        assertMatch(await linkTelegram(gw, randomExternalId(), first.code), /Linked/);
        // Two days on: the code's row (a day past its expiry) is purged; the key is within its
        // window.
        await ageAndPurge(alice.id, "2 days", ["link_codes"]);
        assertEquals(
          await psql(`select count(*) from gateway_private.link_codes
                      where user_id = '${alice.id}'`),
          "0",
          "purged",
        );
        assertEquals(await createCode(token, key), first, "the same answer, original expiry");
        assertMatch(await linkTelegram(gw, randomExternalId(), first.code), /not valid/);
      });

      await t.step(
        "retired by a newer code: the key answers it again, still not valid",
        async () => {
          const bob = await newUser();
          const token = await tokenFor(bob);
          const key = crypto.randomUUID();
          const first = await createCode(token, key);
          const newer = await createCode(token);
          assertEquals(await createCode(token, key), first);
          assertMatch(await linkTelegram(gw, randomExternalId(), first.code), /not valid/);
          assertMatch(await linkTelegram(gw, randomExternalId(), newer.code), /Linked/);
        },
      );

      await t.step("HTTPS link-code: used, then the code and the ledger purged", async () => {
        const carol = await newUser();
        const token = await tokenFor(carol);
        const key = crypto.randomUUID();
        const call = () => runCommand(gw, token, "link-code", {}, { "idempotency-key": key });
        const first = (await call()).body.data as Created;
        assertMatch(await linkTelegram(gw, randomExternalId(), first.code), /Linked/);
        await gw.handler.core.drain(); // the ledger's completion
        await psql(`update gateway_private.deliveries set created_at = now() - interval '8 days'
                    where key = 'http:${key}@${carol.id}'`);
        await ageAndPurge(carol.id, "2 days", ["link_codes"]);
        const again = await call();
        assertEquals(again.status, 200);
        assertEquals(again.headers.get("idempotent-replayed"), null, "the command ran again");
        assertEquals((again.body.data as Created).code, first.code);
        assertMatch(await linkTelegram(gw, randomExternalId(), first.code), /not valid/);
      });

      await t.step(
        "past the window (7 days) the key gives a new code; the old one stays dead",
        async () => {
          const dave = await newUser();
          const token = await tokenFor(dave);
          const key = crypto.randomUUID();
          const first = await createCode(token, key);
          assertMatch(await linkTelegram(gw, randomExternalId(), first.code), /Linked/);
          await ageAndPurge(dave.id, "8 days", ["link_codes", "link_code_keys"]);
          const next = await createCode(token, key);
          assert(next.code !== first.code, "a new code");
          const minutes = (Date.parse(next.expires_at) - Date.now()) / 60_000;
          assert(minutes > 9 && minutes <= 10, `a fresh expiry (${minutes} min)`);
          assertEquals(await createCode(token, key), next, "and from now on, that one");
          assertMatch(await linkTelegram(gw, randomExternalId(), first.code), /not valid/);
          assertMatch(await linkTelegram(gw, randomExternalId(), next.code), /Linked/);
        },
      );

      await t.step("the same key at once, many times: one code, one row", async () => {
        const erin = await newUser();
        const token = await tokenFor(erin);
        const key = crypto.randomUUID();
        const all = await Promise.all(Array.from({ length: 8 }, () => createCode(token, key)));
        for (const one of all) assertEquals(one, all[0]);
        assertEquals(
          await psql(`select count(*) from gateway_private.link_codes
                      where user_id = '${erin.id}'`),
          "1",
        );
      });
    } finally {
      await gw.close();
    }
  },
);

Deno.test(
  "link-code: answered, killed before its completion; the same key elsewhere gives the same code",
  integration,
  async () => {
    const survivor = await startGateway();
    // Its ledger completions never reach the database: it dies with the key still claimed.
    const doomed = await spawnGateway(
      survivor.env,
      `${REPO_ROOT}/tests/support/held_completion_gateway.ts`,
    );
    const user = await newUser();
    const token = await tokenFor(user);
    const key = crypto.randomUUID();
    const call = (gw: { request: typeof survivor.request }) =>
      gw.request("/commands/link-code", {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          "idempotency-key": key,
        },
        body: "{}",
      });
    try {
      const first = await call(doomed);
      assertEquals(first.status, 200);
      const held = (await first.json()).data as Created;
      doomed.kill("SIGKILL");
      const ledgerKey = `http:${key}@${user.id}`;
      assertEquals(
        await psql(`select state from gateway_private.deliveries where key = '${ledgerKey}'`),
        "pending",
        "the answer was never stored",
      );
      const busy = await call(survivor);
      assertEquals(busy.status, 409, "the dead instance's lease still holds the key");
      await busy.body?.cancel();
      // The lease runs out (crash_recovery_test waits for it; here it is ended at once).
      await psql(
        `update gateway_private.deliveries set lease_until = now() where key = '${ledgerKey}'`,
      );
      const again = await call(survivor);
      assertEquals(again.status, 200);
      const rerun = (await again.json()).data as Created;
      assertEquals(rerun.code, held.code, "the code the client holds");
      assertEquals(rerun.expires_at, held.expires_at);
      assertMatch(await linkTelegram(survivor, randomExternalId(), held.code), /Linked/);
      const replay = await runCommand(survivor, token, "link-code", {}, { "idempotency-key": key });
      assertEquals((replay.body.data as Created).code, held.code);
    } finally {
      await doomed.stop();
      await survivor.close();
    }
  },
);
