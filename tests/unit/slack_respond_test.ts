/**
 * Where the gateway posts a Slack answer: a response URL on Slack's hooks hosts, or, only for an
 * app whose API base is on this machine (the local sink), one of the sink's response URLs; never
 * another path of the API's host (Slack's Web API, or the local front door's PostgREST).
 */
import { assert } from "../assert.ts";
import { allowedResponseUrl } from "../../adapters/slack/respond.ts";

Deno.test("slack response URLs: Slack's hooks hosts, and a local sink's own", () => {
  const slack = "https://slack.com/api";
  const local = "http://127.0.0.1:54321/__sinks/slack/api";
  const allowed: [string, string][] = [
    ["https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN", slack],
    ["https://hooks.slack.com/actions/T111/111/xxx", slack],
    ["https://hooks.slack-gov.com/commands/T111/111/xxx", slack],
    ["https://hooks.slack.com/commands/T111/111/xxx", local],
    ["http://127.0.0.1:54321/__sinks/slack/commands/T0LOCAL/1/abc", local],
    ["http://127.0.0.1:54321/__sinks/slack/actions/T0LOCAL/2/abc", local],
  ];
  const refused: [string, string][] = [
    // Another path of the API's host: Slack's Web API itself.
    ["https://slack.com/api/chat.postMessage", slack],
    ["https://slack.com/commands/T111/111/xxx", slack],
    // Locally: the front door's PostgREST, the sink's Web API, a way out of the sink's folder.
    ["http://127.0.0.1:54321/rest/v1/tasks", local],
    ["http://127.0.0.1:54321/__sinks/slack/api/chat.postMessage", local],
    ["http://127.0.0.1:54321/__sinks/slack/commands/../../../rest/v1/tasks", local],
    ["http://127.0.0.1:54321/__sinks/slack/commands/%2e%2e/%2e%2e/%2e%2e/rest/v1/tasks", local],
    ["http://127.0.0.1:54321/__sinks/slackx/commands/T0/1/a", local],
    ["http://127.0.0.1:9999/__sinks/slack/commands/T0/1/a", local],
    // A sink path on a host that is not this machine's.
    [
      "https://sink.example.com/__sinks/slack/commands/T0/1/a",
      "https://sink.example.com/__sinks/slack/api",
    ],
    ["http://hooks.slack.com/commands/T111/111/xxx", slack],
    ["not a url", slack],
  ];
  for (const [url, base] of allowed) assert(allowedResponseUrl(url, base), `refused ${url}`);
  for (const [url, base] of refused) assert(!allowedResponseUrl(url, base), `allowed ${url}`);
});
