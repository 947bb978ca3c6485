/**
 * The Slack migration: chat_identities and consume_link_code take Slack accounts only in Slack's
 * shape (`<T… or E… team>:<U… or W… user>`), Telegram and Discord ids stay decimal, and tasks may
 * come from Slack.
 */
import { assertEquals, assertMatch, assertRejects } from "../assert.ts";
import { integration, newUser, psql } from "../fixtures.ts";

Deno.test("slack schema: Slack ids in Slack's shape only", integration, async (t) => {
  const user = await newUser();
  const insert = (provider: string, id: string) =>
    psql(
      `insert into chat_identities (user_id, provider, external_id)
       values ('${user.id}', '${provider}', '${id}')`,
    );
  await t.step("accepted", async () => {
    for (
      const [provider, id] of [["slack", "T0001:U2147483697"], ["slack", "E111:W111"], [
        "telegram",
        "42",
      ]]
    ) {
      await insert(provider, id);
    }
    assertEquals(
      await psql(`select count(*) from chat_identities where user_id = '${user.id}'`),
      "3",
    );
  });
  await t.step("refused", async () => {
    for (
      const [provider, id] of [
        ["slack", "U2147483697"],
        ["slack", "T0001:C2147483705"],
        ["slack", "t0001:u1"],
        ["discord", "T0001:U2147483697"],
        ["telegram", "T0001:U2147483697"],
        ["whatsapp", "42"],
      ]
    ) {
      await assertRejects(
        () => insert(provider, id),
        (e) => String(e).includes("chat_identities_account_check"),
      );
    }
  });
  await t.step("consume_link_code refuses a malformed Slack account", async () => {
    await assertRejects(
      () => psql(`select consume_link_code('slack', 'T0001:bad', 'ABCDEFGHJK')`),
      (e) => String(e).includes("unknown chat account"),
    );
    const out = await psql(`select consume_link_code('slack', 'T0001:U0NOBODY', 'ABCDEFGHJK')`);
    assertMatch(out, /"reason": "invalid_code"/);
  });
  await t.step("tasks may come from Slack", async () => {
    await psql(`insert into tasks (user_id, title, source) values ('${user.id}', 'x', 'slack')`);
    await assertRejects(
      () => psql(`insert into tasks (user_id, title, source) values ('${user.id}', 'x', 'irc')`),
      (e) => String(e).includes("tasks_source_check"),
    );
  });
});
