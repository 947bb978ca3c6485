/**
 * Reading an event is linear in its text, whatever the text holds (found by outside attacks):
 * - a run of whitespace: stripping the app's mention once used `/\s*<@BOT(?:\|[^>]*)?>/g`, whose
 *   leading `\s*` rescanned the run from each of its positions, so a workspace member's DM of
 *   40,000 spaces cost about 2 s of CPU per event (and each of Slack's retries again);
 * - many `<@BOT|` openings with no closing `>`: an unbounded label scanned `[^>]*` to the end of
 *   the text from each opening, about 180 ms for 40,000 characters. Raw `<` reaches the event when
 *   a member posts with a user token (not a bot message, so it is parsed).
 * The bound is far above a linear parse (about 1 ms) and far below the quadratic ones.
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

/** Parses `body` once warm and fails when that took 100 ms or more. */
function assertLinear(body: string) {
  parseEvent(body); // warm up
  const started = performance.now();
  parseEvent(body);
  const ms = performance.now() - started;
  assert(ms < 100, `parsing one 40,000-character DM took ${Math.round(ms)} ms`);
}

Deno.test("slack events: a DM of 40,000 spaces is read in linear time", () => {
  assertLinear(dm("tasks" + " ".repeat(19_990) + "<@U0BOT>" + "\n".repeat(19_990) + "x"));
});

Deno.test("slack events: many unclosed <@BOT| labels are read in linear time", () => {
  assertLinear(dm("<@U0BOT|".repeat(5_000)));
});
