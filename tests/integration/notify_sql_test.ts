/**
 * The SQL side of notifications on the real database: gateway_notify inside the caller's
 * transaction (a rollback leaves nothing), one delivery per linked account (skipped, saying why,
 * where notifications are off), idempotent keys, who may call what, the outbox's claims (one per
 * chat at a time, SKIP LOCKED, reports only by the claim that holds the row), RLS on
 * notification_deliveries and the owner's `notify` column through the Data API.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { createServiceRpc } from "../../supabase/functions/_shared/db.ts";
import { directRestFetch } from "../../dev/direct_rest.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { integration, newUser, psql, stackSetting, tokenFor, webClient } from "../fixtures.ts";
import { createDoneTrigger, deliveriesOf, linkAccount } from "../support/notify.ts";
import { notificationButtons } from "../../adapters/notify/buttons.ts";
import type { BotScope } from "../../supabase/functions/_shared/bot.ts";
import { createRegistry } from "../../supabase/functions/_shared/command.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";

function serviceRpc() {
  const supabaseUrl = stackSetting("SUPABASE_URL");
  return createServiceRpc(
    { restUrl: `${supabaseUrl}/rest/v1`, serviceKey: stackSetting("SUPABASE_SERVICE_ROLE_KEY") },
    directRestFetch(supabaseUrl, stackSetting("STACK_REST_URL")),
  );
}

interface Claimed {
  id: number;
  claim: number;
  attempt: number;
  provider: string;
  external_id: string;
  text: string;
  linked: boolean;
}

Deno.test(
  "notifications SQL: enqueue, claims, reports, privileges, RLS",
  integration,
  async (t) => {
    const rpc = serviceRpc();
    await createDoneTrigger();

    await t.step("a change that rolls back leaves no notification", async () => {
      const user = await newUser();
      await linkAccount(user.id, "telegram");
      await psql(`begin;
      insert into public.tasks (user_id, title) values ('${user.id}', 'rolled back');
      update public.tasks set done = true where user_id = '${user.id}';
      rollback;`);
      assertEquals(await deliveriesOf(user.id), []);
      assertEquals(
        await psql(
          `select count(*) from gateway_private.notifications where user_id = '${user.id}'`,
        ),
        "0",
      );
    });

    await t.step("a committed change: one delivery per account, skipped where off", async () => {
      const user = await newUser();
      const tg = await linkAccount(user.id, "telegram");
      const dc = await linkAccount(user.id, "discord");
      const quiet = await linkAccount(user.id, "telegram", undefined, false);
      await psql(`insert into public.tasks (user_id, title) values ('${user.id}', 'Pay rent');
      update public.tasks set done = true where user_id = '${user.id}';`);
      const rows = await deliveriesOf(user.id);
      assertEquals(rows.length, 3);
      const by = (id: string) => rows.find((r) => r.external_id === id)!;
      assertEquals([by(tg).status, by(dc).status, by(quiet).status], [
        "pending",
        "pending",
        "skipped",
      ]);
      assertEquals(by(quiet).last_error, "not sent: notifications are off for this account");
      assertEquals(by(tg).bot, "default");
      assertEquals(new Set(rows.map((r) => r.notification_id)).size, 1);
      // Leave no pending row for a later test's drain to send.
      await psql(`delete from auth.users where id = '${user.id}'`);
    });

    await t.step("a key already used by the user returns the first id", async () => {
      const user = await newUser();
      await linkAccount(user.id, "telegram");
      const first = await rpc<string>("gateway_notify", { user_id: user.id, text: "a", key: "k1" });
      const again = await rpc<string>("gateway_notify", { user_id: user.id, text: "b", key: "k1" });
      const other = await rpc<string>("gateway_notify", { user_id: user.id, text: "c", key: "k2" });
      assertEquals(again, first);
      assert(other !== first);
      assertEquals((await deliveriesOf(user.id)).length, 2);
      // Another user's same key is theirs.
      const someone = await newUser();
      assert(
        await rpc<string>("gateway_notify", { user_id: someone.id, text: "a", key: "k1" }) !==
          first,
      );
      for (const u of [user, someone]) await psql(`delete from auth.users where id = '${u.id}'`);
    });

    await t.step("bad values are refused and change nothing", async () => {
      const user = await newUser();
      for (
        const args of [
          { user_id: user.id, text: "" },
          { user_id: user.id, text: "x".repeat(2001) },
          // Only blanks, as JavaScript's trim() reads them (POST /notify refuses the same).
          { user_id: user.id, text: "\t\n" },
          { user_id: user.id, text: "\r\n \u00a0\u2003\u3000\ufeff" },
          { user_id: crypto.randomUUID(), text: "nobody" },
          { user_id: user.id, text: "x", bot: "Not A Name" },
          { user_id: user.id, text: "x", actions: { label: "no" } },
          { user_id: user.id, text: "x", actions: [{ label: "", command: "tasks" }] },
          { user_id: user.id, text: "x", actions: [{ label: "x", command: "tasks", args: 3 }] },
        ]
      ) {
        const err = await rpc("gateway_notify", args).then(() => null, (e) => e);
        assertEquals(err?.status, 400, JSON.stringify(args));
      }
      assertEquals(
        await psql(
          `select count(*) from gateway_private.notifications where user_id = '${user.id}'`,
        ),
        "0",
      );
      // Blanks around words are the app's to keep.
      await rpc("gateway_notify", { user_id: user.id, text: "\tindented\n" });
    });

    await t.step(
      "buttons: SQL refuses what the gateway refuses, and takes what it takes",
      async () => {
        const user = await newUser();
        const registry = createRegistry(commands);
        const everything: BotScope = {
          channel: "telegram",
          name: "default",
          offers: () => true,
          commands,
          links: {},
        };
        const button = (
          fields: Record<string, unknown>,
        ) => [{ label: "Go", command: "tasks", ...fields }];
        const cases: [string, unknown, boolean][] = [
          ["a label of spaces", button({ label: "   " }), false],
          ["a label of a tab and a line break", button({ label: "\t\n" }), false],
          ["21 emoji: 42 UTF-16 units", button({ label: "\u{1F600}".repeat(21) }), false],
          ["20 emoji: 40 UTF-16 units", button({ label: "\u{1F600}".repeat(20) }), true],
          ["40 accented letters", button({ label: "é".repeat(40) }), true],
          ["an unknown style", button({ style: "pink" }), false],
          ["a null style", button({ style: null }), true],
          ["a then that is not an object", button({ then: "tasks" }), false],
          ["a then naming a command", button({ then: { command: "tasks" } }), true],
          ["args as a list", button({ args: [] }), false],
        ];
        for (const [what, actions, takes] of cases) {
          let gateway = true;
          try {
            notificationButtons(registry, actions, [everything]);
          } catch {
            gateway = false;
          }
          const sql = await rpc("gateway_notify", { user_id: user.id, text: "x", actions })
            .then(() => true, (e) => (assertEquals(e.status, 400, what), false));
          assertEquals([gateway, sql], [takes, takes], what);
        }
        await psql(`delete from auth.users where id = '${user.id}'`);
      },
    );

    await t.step("only service_role (and security definer functions) may notify", async () => {
      const user = await newUser();
      const asUser = await webClient(await tokenFor(user)).rpc("gateway_notify", {
        user_id: user.id,
        text: "self-service",
      });
      assert(asUser.error, "authenticated must not execute gateway_notify");
      const anon = webClient(stackSetting("SUPABASE_ANON_KEY"));
      assert((await anon.rpc("gateway_notify", { user_id: user.id, text: "x" })).error);
      for (const fn of ["gateway_claim_notifications", "gateway_report_notifications"]) {
        assert((await webClient(await tokenFor(user)).rpc(fn, {})).error, fn);
      }
      const grants = await psql(
        `select string_agg(r, ',' order by r) from unnest(array['anon','authenticated',
         'service_role']) r
       where has_function_privilege(r, 'public.gateway_notify(uuid,text,jsonb,text,text)',
         'execute')`,
      );
      assertEquals(grants, "service_role");
    });

    await t.step(
      "claims: one per chat at a time, skip locked, counted, reported by claim",
      async () => {
        const user = await newUser();
        const tg = await linkAccount(user.id, "telegram");
        for (const text of ["one", "two"]) {
          await rpc("gateway_notify", { user_id: user.id, text });
        }
        // Claims of other tests' leftovers are given back at once.
        const claimMine = async (chatIntervalMs = 0) => {
          const rows = await rpc<Claimed[]>("gateway_claim_notifications", {
            p_limit: 100,
            p_lease_seconds: 1,
            p_chat_interval_ms: chatIntervalMs,
          });
          return rows.filter((r) => r.external_id === tg);
        };
        const first = await claimMine();
        assertEquals(first.map((r) => [r.text, r.attempt, r.linked]), [["one", 1, true]]);
        assertEquals(await claimMine(), [], "the chat has a delivery in flight");
        assertEquals(
          await rpc("gateway_report_notifications", {
            p_items: [{ id: first[0].id, claim: first[0].claim + 1, status: "sent" }],
          }),
          [],
          "another claim's report is ignored",
        );
        await new Promise((r) => setTimeout(r, 1100)); // the lease runs out: claimed again
        const second = await claimMine();
        assertEquals(second.map((r) => [r.text, r.attempt]), [["one", 2]]);
        assertEquals(
          await rpc("gateway_report_notifications", {
            p_items: [{ id: second[0].id, claim: first[0].claim, status: "sent" }],
          }),
          [],
          "the first claim lost the row",
        );
        assertEquals(
          await rpc("gateway_report_notifications", {
            p_items: [{ id: second[0].id, claim: second[0].claim, status: "sent" }],
          }),
          [second[0].id],
        );
        assertEquals(await claimMine(1000), [], "the chat was written to less than a second ago");
        const third = await claimMine();
        assertEquals(third.map((r) => r.text), ["two"]);
        await rpc("gateway_report_notifications", {
          p_items: [{
            id: third[0].id,
            claim: third[0].claim,
            status: "pending",
            error: "not sent yet: Telegram asked to wait",
            retry_in_ms: 60_000,
          }],
        });
        assertEquals(await claimMine(), [], "not due for a minute");
        const rows = await deliveriesOf(user.id);
        assertEquals(rows.map((r) => r.status), ["sent", "pending"]);
        assert(rows[0].sent_at);
        assertMatch(rows[1].last_error!, /asked to wait/);
        await psql(`delete from auth.users where id = '${user.id}'`);
      },
    );

    await t.step(
      "notifications turned off after the enqueue: queued rows are skipped",
      async () => {
        const user = await newUser();
        const tg = await linkAccount(user.id, "telegram");
        for (const text of ["first", "second", "third"]) {
          await rpc("gateway_notify", { user_id: user.id, text });
        }
        const claimMine = async () =>
          (await rpc<Claimed[]>("gateway_claim_notifications", {
            p_limit: 100,
            p_lease_seconds: 1,
            p_chat_interval_ms: 0,
          })).filter((r) => r.external_id === tg);
        // The first meets a platform's "wait": it is due again later, behind nothing.
        const [first] = await claimMine();
        assertEquals(first.text, "first");
        await rpc("gateway_report_notifications", {
          p_items: [{ id: first.id, claim: first.claim, status: "pending", error: "wait" }],
        });
        await psql(`update public.chat_identities set notify = false where external_id = '${tg}'`);
        assertEquals(await claimMine(), [], "nothing is claimed for an account switched off");
        const rows = await deliveriesOf(user.id);
        assertEquals(
          rows.map((r) => [r.status, r.last_error, r.next_attempt_at]),
          Array(3).fill(["skipped", "not sent: notifications are off for this account", null]),
        );
        // Switched on again, what was skipped stays skipped; new notifications go.
        await psql(`update public.chat_identities set notify = true where external_id = '${tg}'`);
        await rpc("gateway_notify", { user_id: user.id, text: "fourth" });
        assertEquals((await claimMine()).map((r) => r.text), ["fourth"]);
        await psql(`delete from auth.users where id = '${user.id}'`);
      },
    );

    await t.step("an account unlinked before the send is claimed as not linked", async () => {
      const user = await newUser();
      const tg = await linkAccount(user.id, "telegram");
      await rpc("gateway_notify", { user_id: user.id, text: "gone" });
      await psql(`delete from public.chat_identities where external_id = '${tg}'`);
      const rows = (await rpc<Claimed[]>("gateway_claim_notifications", { p_limit: 100 }))
        .filter((r) => r.external_id === tg);
      assertEquals(rows.map((r) => r.linked), [false]);
      await psql(`delete from auth.users where id = '${user.id}'`);
    });

    await t.step("users read only their own deliveries and write none", async () => {
      const alice = await newUser();
      const bob = await newUser();
      await linkAccount(alice.id, "telegram");
      await linkAccount(bob.id, "telegram");
      await rpc("gateway_notify", { user_id: alice.id, text: "for alice" });
      await rpc("gateway_notify", { user_id: bob.id, text: "for bob" });
      const db = webClient(await tokenFor(alice));
      const { data, error } = await db.from("notification_deliveries").select("*");
      assertEquals(error, null);
      assertEquals(data!.length, 1);
      assertEquals(data![0].user_id, alice.id);
      for (const key of ["id", "created_at", "notification_id", "provider", "status"]) {
        assert(key in data![0], key);
      }
      // docs/notifications.md lists every column the owner reads.
      const docs = await Deno.readTextFile(`${REPO_ROOT}/docs/notifications.md`);
      const listed = /Columns:([\s\S]*?)Statuses:/.exec(docs)?.[1] ?? "";
      const documented = [...listed.matchAll(/`([^`]+)`/g)]
        .flatMap((m) => m[1].split(",").map((c) => c.trim()))
        .filter((c) => /^[a-z_]+$/.test(c));
      assertEquals([...new Set(documented)].sort(), Object.keys(data![0]).sort());
      const id = data![0].id;
      assert(
        (await db.from("notification_deliveries").update({ status: "sent" }).eq("id", id))
          .error,
      );
      assert(
        (await db.from("notification_deliveries").delete().eq("id", id).select()).data?.length !==
          1,
      );
      assert(
        (await db.from("notification_deliveries").insert({
          notification_id: data![0].notification_id,
          user_id: alice.id,
          provider: "telegram",
          external_id: "1",
          bot: "default",
        })).error,
      );
      assertEquals((await deliveriesOf(alice.id)).map((r) => r.status), ["pending"]);
      for (const u of [alice, bob]) await psql(`delete from auth.users where id = '${u.id}'`);
    });

    await t.step(
      "the owner switches notify through the Data API, and only that column",
      async () => {
        const alice = await newUser();
        const bob = await newUser();
        const tg = await linkAccount(alice.id, "telegram");
        const db = webClient(await tokenFor(alice));
        const off = await db.from("chat_identities").update({ notify: false }).eq("external_id", tg)
          .select("notify");
        assertEquals(off.error, null);
        assertEquals(off.data, [{ notify: false }]);
        assert(
          (await db.from("chat_identities").update({ external_id: "42" }).eq("external_id", tg))
            .error,
          "only notify is the owner's to change",
        );
        const asBob = await webClient(await tokenFor(bob)).from("chat_identities")
          .update({ notify: true }).eq("external_id", tg).select();
        assertEquals(asBob.data, [], "another user changes nothing");
        assertEquals(
          await psql(`select notify from public.chat_identities where external_id = '${tg}'`),
          "f",
        );
        for (const u of [alice, bob]) await psql(`delete from auth.users where id = '${u.id}'`);
      },
    );
  },
);
