/**
 * Many `<@BOT|` openings with no closing `>` are read in linear time. Stripping the app's mentions
 * once split at `<@BOT(?:\|[^>]*)?>`, which scanned `[^>]*` to the end of the text from each
 * opening: quadratic, about 180 ms for 40,000 characters (found by an outside attack). Raw `<`
 * reaches the event when a member posts with a user token (not a bot message, so it is parsed).
 */
import { assert } from "../assert.ts";
import { parseEvent } from "../../adapters/slack/event.ts";

function dm(text: string): string {
  return JSON.stringify({
    token: "x",
    team_id: "T0TEAM",
    api_app_id: "A0APP",
    type: "event_callback",
    event_id: "Ev0PV52K21",
    event_time: 1355517523,
    authorizations: [{ team_id: "T0TEAM", user_id: "U0BOT", is_bot: true }],
    event: {
      type: "message",
      channel: "D0DM",
      user: "U0ALICE",
      text,
      ts: "1355517523.000005",
      channel_type: "im",
    },
  });
}

Deno.test("slack events: many unclosed <@BOT| labels are read in linear time", () => {
  const body = dm("<@U0BOT|".repeat(5_000));
  parseEvent(body); // warm up
  const started = performance.now();
  parseEvent(body);
  const ms = performance.now() - started;
  assert(ms < 100, `parsing one 40,000-character DM took ${Math.round(ms)} ms`);
});
