/**
 * Reading an event is linear in its text. Stripping the app's mention anywhere once used
 * `/\s*<@BOT(?:\|[^>]*)?>/g` over the whole text: a leading `\s*` that cannot be followed by the
 * mention made the engine rescan a run of whitespace from each of its positions, quadratic in its
 * length, so a workspace member's DM of 40,000 spaces cost about 2 s of CPU per event (and each of
 * Slack's retries again). Found by an outside attack. The bound is far above a linear parse
 * (about 1 ms) and far below the quadratic one.
 */
import { assert } from "../assert.ts";
import { parseEvent } from "../../adapters/slack/event.ts";

Deno.test("slack events: a DM of 40,000 spaces is read in linear time", () => {
  const text = "tasks" + " ".repeat(19_990) + "<@U0BOT>" + "\n".repeat(19_990) + "x";
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
