/**
 * Outside attack (attack5): stripping the app's mention "anywhere" (event.ts `withoutMention`)
 * uses `/\s*<@BOT(?:\|[^>]*)?>/g` over the whole message text, before it is cut to 4000
 * characters. A leading `\s*` that cannot be followed by the mention makes the engine try every
 * start inside a run of whitespace and scan the run again: quadratic in the run's length. A
 * workspace member's DM of a long run of spaces or newlines (Slack takes 40,000 characters) costs
 * the gateway seconds of CPU per event, and Slack's retries send it again; an Edge Function's CPU
 * budget is 2 s. Expected: reading an event is linear (well under 100 ms for any message Slack
 * can carry).
 */
import { assert } from "../assert.ts";
import { parseEvent } from "../../adapters/slack/event.ts";

Deno.test("slack events: a DM of 40,000 spaces is read in linear time", () => {
  const text = "tasks" + " ".repeat(39_990) + "x";
  const body = JSON.stringify({
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
  const started = performance.now();
  parseEvent(body);
  const ms = performance.now() - started;
  assert(ms < 100, `parsing one 40,000-character DM took ${Math.round(ms)} ms`);
});
