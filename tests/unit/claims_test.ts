/**
 * The claim table's handling of a claim whose answer was lost, over a scripted ledger (the SQL
 * that makes asking again safe is tested in integration/ledger_sql_test.ts).
 */
import { assertEquals, assertRejects } from "../assert.ts";
import { createClaims } from "../../supabase/functions/_shared/claims.ts";
import { DB_TIMEOUT_MS } from "../../supabase/functions/_shared/db.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import type { Claim, Ledger } from "../../supabase/functions/_shared/ledger.ts";
import { silentLogger } from "../../supabase/functions/_shared/log.ts";

const unknown = () => new GatewayError(504, "upstream_timeout", "no answer");

/** Claims over a ledger whose claim answers come from `answers`, one per call. */
function scripted(answers: (() => Promise<Claim>)[], clock = { t: 0 }) {
  const calls: string[] = [];
  const ledger = {
    claim(key: string, _fp: string | null, _lease?: number, claim?: number) {
      calls.push(`claim ${key} ${claim}`);
      return answers.shift()!();
    },
    release(key: string, claim: number) {
      calls.push(`release ${key} ${claim}`);
      return Promise.resolve(true);
    },
  } as unknown as Ledger;
  const background: Promise<unknown>[] = [];
  const claims = createClaims({
    ledger,
    log: silentLogger,
    now: () => clock.t,
    background: (p) => void background.push(p),
  });
  return { claims, calls, background };
}

Deno.test("claims: an answer lost fast is asked again with the same id", async () => {
  const { claims, calls } = scripted([
    () => Promise.reject(unknown()),
    () => Promise.resolve({ status: "claimed", attempt: 1, claim: 7 }),
  ]);
  assertEquals((await claims.claim("k", null)).status, "claimed");
  const [first, again] = calls;
  assertEquals(first, again, "the same claim id both times");
});

Deno.test("claims: a claim timed out (or lost twice) is released by its id", async (t) => {
  await t.step("timed out: not asked again, released", async () => {
    const clock = { t: 0 };
    const { claims, calls, background } = scripted([() => {
      clock.t += DB_TIMEOUT_MS;
      return Promise.reject(unknown());
    }], clock);
    await assertRejects(() => claims.claim("k", null));
    await Promise.all(background);
    const id = calls[0].split(" ")[2];
    assertEquals(calls, [`claim k ${id}`, `release k ${id}`]);
  });
  await t.step("lost twice: released", async () => {
    const { claims, calls, background } = scripted([
      () => Promise.reject(unknown()),
      () => Promise.reject(unknown()),
    ]);
    await assertRejects(() => claims.claim("k", null));
    await Promise.all(background);
    assertEquals(calls.map((c) => c.split(" ")[0]), ["claim", "claim", "release"]);
  });
  await t.step("never reached (503): nothing to release", async () => {
    const { claims, calls } = scripted([
      () => Promise.reject(new GatewayError(503, "db_unavailable", "down")),
    ]);
    await assertRejects(() => claims.claim("k", null));
    assertEquals(calls.length, 1);
  });
});
