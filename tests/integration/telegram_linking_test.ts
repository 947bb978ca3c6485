/**
 * Linking from Telegram against the real stack: the end-to-end path from a web-app link code to
 * tasks written under the user's RLS, the JWT claims policies see, and every refused code.
 */
import { z } from "zod";
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { unwrap } from "../../supabase/functions/_shared/db.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import {
  integration,
  linkCodeFor,
  linkTelegram,
  newUser,
  postUpdate,
  psql,
  randomExternalId,
  sentTexts,
  startGateway,
  taskCount,
  telegramMessage,
  tokenFor,
  webClient,
} from "../fixtures.ts";

Deno.test("end to end: link from Telegram, then act as the user", integration, async (t) => {
  const gw = await startGateway();
  const [alice, bob] = [await newUser(), await newUser()];
  const [aliceToken, bobToken] = [await tokenFor(alice), await tokenFor(bob)];
  const tg = randomExternalId();

  await t.step("alice's code from the web app links her Telegram account", async () => {
    const code = await linkCodeFor(aliceToken);
    assertMatch(code, /^[A-HJ-NP-Z2-9]{10}$/);
    assertMatch(await linkTelegram(gw, tg, code), /Linked!/);
    const { data } = await webClient(aliceToken).from("chat_identities").select(
      "provider, external_id",
    );
    assertEquals(data, [{ provider: "telegram", external_id: tg }]);
  });

  await t.step("/add from Telegram writes alice's row, seen by her web session only", async () => {
    const res = await postUpdate(gw, telegramMessage({ fromId: tg, text: "/add Buy milk" }));
    assertEquals(res.status, 200);
    assertMatch(sentTexts(gw, tg).at(-1)!, /^Added #\d+: Buy milk$/);
    const web = await webClient(aliceToken).from("tasks").select("title, source, user_id");
    assertEquals(web.data, [{ title: "Buy milk", source: "telegram", user_id: alice.id }]);
    const other = await webClient(bobToken).from("tasks").select("id");
    assertEquals(other.data, []);
  });

  await t.step("/tasks from Telegram lists only alice's tasks", async () => {
    await webClient(bobToken).from("tasks").insert({ title: "Bob's secret" });
    await postUpdate(gw, telegramMessage({ fromId: tg, text: "/tasks" }));
    const text = sentTexts(gw, tg).at(-1)!;
    assertMatch(text, /Buy milk/);
    assert(!text.includes("Bob's secret"), "bob's task leaked");
  });

  await t.step("/whoami names alice and the chat account", async () => {
    await postUpdate(gw, telegramMessage({ fromId: tg, text: "/whoami" }));
    assertMatch(sentTexts(gw, tg).at(-1)!, new RegExp(`You are ${alice.email} \\(via telegram`));
  });
  await gw.close();
});

Deno.test(
  "a policy on auth.jwt() app_metadata sees the same claims from web and Telegram",
  integration,
  async () => {
    await psql(`
    create table if not exists public.test_team_notes (team text not null, body text not null);
    alter table public.test_team_notes enable row level security;
    drop policy if exists "team members read" on public.test_team_notes;
    create policy "team members read" on public.test_team_notes for select to authenticated
      using ((auth.jwt() -> 'app_metadata' ->> 'team') = team);
    grant select on public.test_team_notes to authenticated;
    delete from public.test_team_notes;
    insert into public.test_team_notes values ('red', 'red plan'), ('blue', 'blue plan');
    notify pgrst, 'reload schema';`);
    await new Promise((r) => setTimeout(r, 500)); // PostgREST reloads its schema cache
    const notes = defineCommand({
      name: "team-notes",
      description: "Team notes",
      args: z.object({}),
      requires: "user",
      async run(ctx) {
        const rows = unwrap<{ body: string }[]>(
          await ctx.db.from("test_team_notes").select("body"),
        );
        return reply.text(rows.map((r) => r.body).join(","));
      },
    });
    const gw = await startGateway({ commands: [...commands, notes] });
    const user = await newUser({ provider: "email", providers: ["email"], team: "red" });
    const token = await tokenFor(user);
    const tg = randomExternalId();
    await linkTelegram(gw, tg, await linkCodeFor(token));

    const web = await webClient(token).from("test_team_notes").select("body");
    assertEquals(web.data, [{ body: "red plan" }]);
    await postUpdate(gw, telegramMessage({ fromId: tg, text: "/team_notes" }));
    assertEquals(sentTexts(gw, tg).at(-1), "red plan");
    await gw.close();
  },
);

Deno.test("refused link codes link nothing", integration, async (t) => {
  const gw = await startGateway();
  const [alice, bob] = [await newUser(), await newUser()];
  const [aliceToken, bobToken] = [await tokenFor(alice), await tokenFor(bob)];
  const linked = async (userId: string) =>
    Number(await psql(`select count(*) from chat_identities where user_id = '${userId}'`));

  await t.step("an expired code", async () => {
    const code = await linkCodeFor(aliceToken);
    await psql(`update gateway_private.link_codes set expires_at = now() - interval '1 second'
                where user_id = '${alice.id}'`);
    assertMatch(await linkTelegram(gw, randomExternalId(), code), /expired/);
    assertEquals(await linked(alice.id), 0);
  });

  await t.step("a reused code", async () => {
    const code = await linkCodeFor(aliceToken);
    assertMatch(await linkTelegram(gw, randomExternalId(), code), /Linked!/);
    assertMatch(await linkTelegram(gw, randomExternalId(), code), /already used/);
    assertEquals(await linked(alice.id), 1);
  });

  await t.step("a new code retires the previous unused one", async () => {
    const first = await linkCodeFor(bobToken);
    await linkCodeFor(bobToken);
    assertMatch(await linkTelegram(gw, randomExternalId(), first), /not valid/);
    assertEquals(await linked(bob.id), 0);
  });

  await t.step("wrong codes, then a lockout even for a right one", async () => {
    const tg = randomExternalId();
    for (let i = 0; i < 5; i++) {
      assertMatch(await linkTelegram(gw, tg, "WRONGCODE" + "ABCDEFGHJK"[i]), /not valid/);
    }
    const good = await linkCodeFor(bobToken);
    assertMatch(await linkTelegram(gw, tg, good), /Too many wrong codes. Try again in \d+ minute/);
    assertEquals(await linked(bob.id), 0);
    // Another chat account is not locked out, and the code is still good.
    assertMatch(await linkTelegram(gw, randomExternalId(), good), /Linked!/);
    assertEquals(await linked(bob.id), 1);
  });

  await t.step("a chat account linked to alice cannot be taken by bob's code", async () => {
    const tg = randomExternalId();
    assertMatch(await linkTelegram(gw, tg, await linkCodeFor(aliceToken)), /Linked!/);
    const bobsBefore = await linked(bob.id);
    assertMatch(await linkTelegram(gw, tg, await linkCodeFor(bobToken)), /\/unlink first/);
    assertEquals(await linked(bob.id), bobsBefore);
    assertEquals(
      await psql(
        `select user_id from chat_identities where provider = 'telegram' and external_id = '${tg}'`,
      ),
      alice.id,
    );
  });

  await t.step("two accounts racing for one code: exactly one wins", async () => {
    const carol = await newUser();
    const code = await linkCodeFor(await tokenFor(carol));
    const replies = await Promise.all([randomExternalId(), randomExternalId(), randomExternalId()]
      .map((tg) => linkTelegram(gw, tg, code)));
    assertEquals(replies.filter((r) => /Linked!/.test(r)).length, 1);
    assertEquals(await linked(carol.id), 1);
  });

  await t.step("anonymous callers cannot create codes", async () => {
    const anon = webClient("");
    const { error } = await anon.rpc("create_link_code");
    assert(error, "anon created a link code");
  });
  await gw.close();
});

Deno.test("deep link /start CODE links, plain /start explains", integration, async () => {
  const gw = await startGateway();
  const user = await newUser();
  const tg = randomExternalId();
  await postUpdate(gw, telegramMessage({ fromId: tg, text: "/start" }));
  assertMatch(sentTexts(gw, tg).at(-1)!, /not linked yet[\s\S]*create a link code[\s\S]*\/help/);
  const code = await linkCodeFor(await tokenFor(user));
  await postUpdate(gw, telegramMessage({ fromId: tg, text: `/start ${code}` }));
  assertMatch(sentTexts(gw, tg).at(-1)!, /Linked!/);
  await postUpdate(gw, telegramMessage({ fromId: tg, text: "/add from deep link" }));
  assertEquals(await taskCount(user.id), 1);
  await gw.close();
});

Deno.test(
  "GATEWAY_ACCESS_TOKEN_HOOK shapes minted sessions as Supabase Auth would",
  integration,
  async () => {
    await psql(`
    create or replace function public.custom_access_token_hook(event jsonb) returns jsonb
    language sql stable as $$
      select jsonb_build_object('claims',
        (event -> 'claims') || jsonb_build_object('user_role', 'moderator'))
    $$;
    revoke all on function public.custom_access_token_hook(jsonb) from public, anon, authenticated;
    grant execute on function public.custom_access_token_hook(jsonb) to service_role;
    create or replace function public.test_jwt_role() returns text language sql stable as $$
      select auth.jwt() ->> 'user_role'
    $$;
    grant execute on function public.test_jwt_role() to authenticated;
    notify pgrst, 'reload schema';`);
    await new Promise((r) => setTimeout(r, 500)); // PostgREST reloads its schema cache
    const role = defineCommand({
      name: "role",
      description: "The role claim the database sees",
      args: z.object({}),
      requires: "user",
      async run(ctx) {
        return reply.text(String(unwrap<string | null>(await ctx.db.rpc("test_jwt_role"))));
      },
    });
    const gw = await startGateway({
      commands: [...commands, role],
      env: { GATEWAY_ACCESS_TOKEN_HOOK: "public.custom_access_token_hook" },
    });
    const tg = randomExternalId();
    await linkTelegram(gw, tg, await linkCodeFor(await tokenFor(await newUser())));
    await postUpdate(gw, telegramMessage({ fromId: tg, text: "/role" }));
    assertEquals(sentTexts(gw, tg).at(-1), "moderator");
    await gw.close();
  },
);
