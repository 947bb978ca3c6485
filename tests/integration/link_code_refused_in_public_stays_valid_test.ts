/**
 * Outside attack (attack5): a link code written where others read it (a Telegram group, a Slack
 * mention in a channel) is refused, but the code itself stays valid for its 10 minutes. Anyone who
 * read it there sends it to the bot in private and their own chat account is linked to the code
 * owner's web account (acts as them, reads their tasks, gets their notifications). Before the
 * refusal the bot consumed the code at once as its sender, so nobody else could use it; the
 * refusal opened the window it meant to close. Expected: a code seen in public is retired (used
 * up or revoked), so a reader's private `/link CODE` is refused.
 */
import { assertEquals, assertMatch } from "../assert.ts";
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
  telegramMessage,
  tokenFor,
} from "../fixtures.ts";
import { shownText, slackUser } from "../slack_fixtures.ts";
import { sendEvent } from "../slack_event_fixtures.ts";

const linkedTo = (userId: string) =>
  psql(
    `select coalesce(string_agg(provider || ':' || external_id, ','), '')
     from public.chat_identities where user_id = '${userId}'`,
  );

Deno.test(
  "a link code refused in a Telegram group still links whoever in the group sends it privately",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      const alice = await newUser();
      const aliceTg = randomExternalId();
      const mallory = randomExternalId();
      const group = -Number(randomExternalId());
      const code = await linkCodeFor(await tokenFor(alice));
      // Alice writes it in the group by mistake: refused, told to make a new one "if others may
      // have seen it".
      await postUpdate(
        gw,
        telegramMessage({
          fromId: aliceTg,
          text: `/link ${code}`,
          chat: { id: group, type: "supergroup" },
        }),
      );
      assertMatch(sentTexts(gw, group).at(-1)!, /not used/);
      // Mallory, in the same group, read it: sends it to the bot in private at once.
      const answer = await linkTelegram(gw, mallory, code);
      assertEquals(
        await linkedTo(alice.id),
        "",
        `a code everyone in the group read linked another account to its owner (${answer})`,
      );
    } finally {
      await gw.close();
    }
  },
);

Deno.test(
  "a link code refused in a Slack mention still links whoever in the channel sends it in a DM",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      const alice = await newUser();
      const aliceSlack = slackUser();
      const mallory = slackUser();
      const code = await linkCodeFor(await tokenFor(alice));
      const refused = await sendEvent(gw, aliceSlack, `link ${code}`, { where: "mention" });
      assertMatch(shownText(refused.ephemeral[0]), /not used/);
      // Mallory reads the channel and DMs the app the same code.
      const taken = await sendEvent(gw, mallory, `link ${code}`);
      assertEquals(
        await linkedTo(alice.id),
        "",
        `a code the whole channel read linked another Slack account to its owner (${
          shownText(taken.posted[0])
        })`,
      );
    } finally {
      await gw.close();
    }
  },
);
