/**
 * Task ids are the database's alone: a user cannot choose one on insert or change one on update
 * through the Data API (real PostgREST, the user's own token), so nobody can take the ids
 * everyone else's next inserts would get.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import {
  integration,
  newUser,
  psql,
  runCommand,
  startGateway,
  taskCount,
  tokenFor,
  webClient,
} from "../fixtures.ts";

Deno.test("task ids: a user can neither choose nor change one", integration, async (t) => {
  const gw = await startGateway();
  const [mallory, bob] = [await newUser(), await newUser()];
  const [malloryDb, bobDb] = [webClient(await tokenFor(mallory)), webClient(await tokenFor(bob))];
  const bobToken = await tokenFor(bob);
  // The ids the next inserts (anyone's) will get.
  const next = Number(await psql("select last_value from public.tasks_id_seq")) + 1;
  const squatted = Array.from({ length: 5 }, (_, i) => next + i);
  try {
    await t.step("an insert that names ids is refused, with a clear error", async () => {
      const { error, status } = await malloryDb.from("tasks")
        .insert(squatted.map((id) => ({ id, title: `squat ${id}` })));
      assertEquals(status, 400);
      assertEquals(error?.code, "428C9");
      assertMatch(error!.message, /non-DEFAULT value into column "id"/);
      assertEquals(await taskCount(mallory.id), 0);
    });

    await t.step("an upsert that names an id is refused too", async () => {
      const { error } = await malloryDb.from("tasks")
        .upsert({ id: next, title: "squat by upsert", idempotency_key: "k" }, {
          onConflict: "user_id,idempotency_key",
        });
      assertEquals(error?.code, "428C9");
      assertEquals(await taskCount(mallory.id), 0);
    });

    await t.step("an update cannot change an id", async () => {
      const own = await malloryDb.from("tasks").insert({ title: "mine" }).select("id").single();
      assert(own.data, own.error?.message);
      const { error } = await malloryDb.from("tasks").update({ id: next + 100 })
        .eq("id", own.data.id);
      assertEquals(error?.code, "428C9");
      assertMatch(error!.message, /can only be updated to DEFAULT/);
      const rows = await malloryDb.from("tasks").select("id");
      assertEquals(rows.data, [{ id: own.data.id }]);
    });

    await t.step("another user's inserts and /add are unaffected", async () => {
      for (let i = 0; i < squatted.length; i++) {
        const { error } = await bobDb.from("tasks").insert({ title: `bob ${i}` });
        assertEquals(error, null);
      }
      const added = await runCommand(gw, bobToken, "add", { title: "through the gateway" });
      assertEquals(added.status, 200, JSON.stringify(added.body));
      assertEquals(await taskCount(bob.id), squatted.length + 1);
    });
  } finally {
    await gw.close();
  }
});
