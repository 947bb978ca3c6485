/**
 * A link code written where others read it (a Telegram group, a Slack mention in a channel) links
 * its sender at once, which uses the code up: whoever read it there and sends it to the bot in
 * private is refused, and their account acts for no one. (Refusing the code in public without
 * using it up, tried once, left it valid for its ten minutes for every reader: an outside attack's
 * finding, kept here.)
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
import { eventFor, newEventId, resend, sendEvent } from "../slack_event_fixtures.ts";

const linkedTo = (userId: string) =>
  psql(
    `select coalesce(string_agg(provider || ':' || external_id, ','), '')
     from public.chat_identities where user_id = '${userId}'`,
  );

Deno.test(
  "a link code sent in a Telegram group links its sender; a reader who sends it privately is refused",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      const alice = await newUser();
      const aliceTg = randomExternalId();
      const mallory = randomExternalId();
      const group = -Number(randomExternalId());
      const code = await linkCodeFor(await tokenFor(alice));
      await postUpdate(
        gw,
        telegramMessage({
          fromId: aliceTg,
          text: `/link ${code}`,
          chat: { id: group, type: "supergroup" },
        }),
      );
      assertMatch(sentTexts(gw, group).at(-1)!, /Linked!/);
      // Mallory, in the same group, read it: sends it to the bot in private at once.
      assertMatch(await linkTelegram(gw, mallory, code), /was already used/);
      assertEquals(await linkedTo(alice.id), `telegram:${aliceTg}`);
    } finally {
      await gw.close();
    }
  },
);

Deno.test(
  "a link code sent in a Slack mention links the mentioner; a reader who DMs it is refused",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      const alice = await newUser();
      const aliceSlack = slackUser();
      const mallory = slackUser();
      const code = await linkCodeFor(await tokenFor(alice));
      const linked = await sendEvent(gw, aliceSlack, `link ${code}`, { where: "mention" });
      assertMatch(shownText(linked.ephemeral[0]), /Linked!/);
      const taken = await sendEvent(gw, mallory, `link ${code}`);
      assertMatch(shownText(taken.posted[0]), /was already used/);
      assertEquals(await linkedTo(alice.id), `slack:${aliceSlack.team}:${aliceSlack.user}`);
    } finally {
      await gw.close();
    }
  },
);

Deno.test(
  "a link code pasted as code (`CODE`) or with a full stop links its sender; a reader is refused",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      for (const write of [(c: string) => `link \`${c}\``, (c: string) => `link ${c}.`]) {
        const alice = await newUser();
        const aliceSlack = slackUser();
        const mallory = slackUser();
        const code = await linkCodeFor(await tokenFor(alice));
        const linked = await sendEvent(gw, aliceSlack, write(code), { where: "mention" });
        assertMatch(shownText(linked.ephemeral[0]), /Linked!/);
        const taken = await sendEvent(gw, mallory, `link ${code}`);
        assertMatch(shownText(taken.posted[0]), /was already used/);
        assertEquals(await linkedTo(alice.id), `slack:${aliceSlack.team}:${aliceSlack.user}`);
      }
    } finally {
      await gw.close();
    }
  },
);

Deno.test(
  "a Slack mention edited to fix its link command (lnk CODE -> link CODE) links its sender",
  integration,
  async () => {
    const gw = await startGateway();
    try {
      const alice = await newUser();
      const aliceSlack = slackUser();
      const mallory = slackUser();
      const code = await linkCodeFor(await tokenFor(alice));
      const typo = eventFor(gw, aliceSlack, `lnk ${code}`, { where: "mention" });
      const first = await resend(gw, typo);
      assertMatch(shownText(first.ephemeral[0]), /Unknown command/);
      const parsed = JSON.parse(typo.body);
      parsed.event_id = newEventId();
      parsed.event.text = parsed.event.text.replace("lnk ", "link ");
      parsed.event.edited = {
        user: aliceSlack.user,
        ts: `${Math.floor(Date.now() / 1000)}.000000`,
      };
      const edited = await resend(gw, {
        ...typo,
        eventId: parsed.event_id,
        body: JSON.stringify(parsed),
      });
      await sendEvent(gw, mallory, `link ${code}`);
      assertEquals(
        [edited.ephemeral.length, await linkedTo(alice.id)],
        [1, `slack:${aliceSlack.team}:${aliceSlack.user}`],
        "the fixed mention was dropped silently and a reader linked to the code's owner",
      );
    } finally {
      await gw.close();
    }
  },
);
