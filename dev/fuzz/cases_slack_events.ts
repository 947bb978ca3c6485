/**
 * Slack Events API cases (JSON at `POST /slack`, signed like the rest): commands written by the
 * linked account in the app's DM and by mention in a channel, with the slash commands' nasty text
 * (so they reach the command layer and the database); events that must run nothing (bots' and
 * the app's own messages, edits, deletions, channel messages, other event types); and callbacks
 * broken at one field (event id, person, channel, ts, thread, the event itself). `@dm-channel`
 * and `@mention-channel` are filled in at send time with a conversation the stack's Slack sink
 * knows (the person wrote there first, as in Slack).
 */
import { LOCAL_SLACK_BOTS } from "../channel_secrets.ts";
import { commandLine } from "./cases_slack.ts";
import { SL_LINKED } from "./generate.ts";
import type { Rng } from "./prng.ts";
import { malformedBody, nastyValue } from "./values.ts";

const BOT = LOCAL_SLACK_BOTS.default.userId;

/** One event case: its category and JSON body. */
export function slackEventCase(rng: Rng, index: number): { category: string; body: string } {
  const [team, user] = SL_LINKED.split(":");
  const area = rng.weighted({ dm: 10, mention: 6, ignored: 5, shape: 5, "bad-json": 1 });
  const line = commandLine(rng);
  // People write the name alone in a conversation; sometimes with the slash anyway.
  const words = `${rng.chance(0.8) ? line.command.slice(1) : line.command} ${line.text}`.trim();
  const mention = area === "mention";
  const event: Record<string, unknown> = {
    type: mention ? "app_mention" : "message",
    user,
    text: mention ? `<@${BOT}> ${words}` : words,
    ts: `${1_700_000_000 + index}.${String(index % 1e6).padStart(6, "0")}`,
    team,
    channel: mention ? "@mention-channel" : "@dm-channel",
    ...(mention ? {} : { channel_type: "im" }),
  };
  const envelope: Record<string, unknown> = {
    token: "deprecated",
    team_id: team,
    api_app_id: "A0FUZZ",
    type: "event_callback",
    event_id: `Ev${index}${rng.text(8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")}`,
    event_time: 1_700_000_000 + index,
    authorizations: [{ team_id: team, user_id: BOT, is_bot: true }],
    event,
  };
  let category = line.kind;
  if (area === "ignored") {
    const kind = rng.pick(["bot_message", "bot_id", "own", "message_changed", "channel", "other"]);
    category = kind;
    if (kind === "bot_message") Object.assign(event, { subtype: "bot_message", bot_id: "B0X" });
    else if (kind === "bot_id") event.bot_id = "B0LOCAL";
    else if (kind === "own") event.user = BOT;
    else if (kind === "message_changed") {
      Object.assign(event, { subtype: "message_changed", message: { text: words, user } });
    } else if (kind === "channel") event.channel_type = "channel";
    else event.type = rng.pick(["reaction_added", "app_home_opened", "member_joined_channel"]);
  } else if (area === "shape") {
    const field = rng.pick(["event_id", "user", "channel", "ts", "thread_ts", "team", "event"]);
    const junk = nastyValue(rng).value;
    category = `${field}-${typeof junk}`;
    if (field === "event_id") envelope.event_id = junk;
    else if (field === "event") envelope.event = junk;
    else if (field === "team") {
      Object.assign(event, { team: junk, user_team: junk }), delete envelope.team_id;
    } else event[field] = junk;
  }
  const body = JSON.stringify(envelope);
  if (area === "bad-json") return { category: "bad-json", body: malformedBody(rng, body).value };
  return { category: `${area}/${category}`, body };
}
