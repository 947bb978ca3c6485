/**
 * Slack's request signatures against the real stack: a wrong, stale, future, missing or foreign
 * signature (another app's secret, or the default app's on another app's route) is a 401 before
 * any database call; each app's own is accepted on its route; Slack's unsigned SSL check is
 * answered and runs nothing (one with a command smuggled in is refused); url_verification.
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { integration, startGateway } from "../fixtures.ts";
import {
  responseUrlFor,
  shownText,
  signedSlackRequest,
  slackSecret,
  slackUser,
  slashBody,
} from "../slack_fixtures.ts";

Deno.test("slack: signatures are checked before anything runs", integration, async (t) => {
  const other = slackSecret();
  const gw = await startGateway({
    env: { SLACK_APPS: JSON.stringify([{ name: "beta", signingSecret: other }]) },
  });
  try {
    const caller = slackUser();
    const body = slashBody(caller, "/add", "Should not exist", responseUrlFor(gw, caller));
    const secret = gw.env.SLACK_SIGNING_SECRET;
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, Request][] = [
      ["wrong secret", signedSlackRequest(secret, body, { secret: slackSecret() })],
      ["stale timestamp", signedSlackRequest(secret, body, { timestamp: now - 301 })],
      // Well past the 5 minutes: the steps run a while after `now` on a busy machine.
      ["future timestamp", signedSlackRequest(secret, body, { timestamp: now + 360 })],
      ["changed body", signedSlackRequest(secret, body, { sendBody: body + "&text=x" })],
      ["no signature", signedSlackRequest(secret, body, { omit: "signature" })],
      ["no timestamp", signedSlackRequest(secret, body, { omit: "timestamp" })],
      ["no headers", signedSlackRequest(secret, body, { omit: "both" })],
      [
        "garbage signature",
        signedSlackRequest(secret, body, { signature: "v0=" + "z".repeat(64) }),
      ],
      ["v1 signature", signedSlackRequest(secret, body, { signature: "v1=" + "0".repeat(64) })],
      ["another app's secret", signedSlackRequest(secret, body, { secret: other })],
      ["default's secret on beta", signedSlackRequest(secret, body, { path: "/slack/beta" })],
    ];
    for (const [name, req] of cases) {
      await t.step(name, async () => {
        const before = gw.dbCalls();
        const res = await gw.handler(req);
        assertEquals(res.status, 401, name);
        assertEquals((await res.json()).error.code, "invalid_token");
        assertEquals(gw.dbCalls(), before, `${name}: a database call`);
      });
    }
    await t.step("beta's own signature on its route is accepted", async () => {
      const res = await gw.handler(
        signedSlackRequest(other, slashBody(caller, "/help", "", responseUrlFor(gw, caller)), {
          path: "/slack/beta",
        }),
      );
      assertEquals(res.status, 200);
      assertMatch(shownText(await res.json()), /^Commands:/);
    });
    await t.step("a response_url that is not Slack's: 400, nothing run", async () => {
      // Signed, but its answer would go to the API base's host: PostgREST, the sink's Web API.
      const front = new URL(gw.env.SLACK_API_BASE).origin;
      for (const url of [`${front}/rest/v1/tasks`, `${gw.env.SLACK_API_BASE}/chat.postMessage`]) {
        const before = gw.dbCalls();
        const res = await gw.handler(
          signedSlackRequest(secret, slashBody(caller, "/tasks", "", url)),
        );
        assertEquals(res.status, 400, url);
        assertMatch((await res.json()).error.message, /foreign response_url/);
        assertEquals(gw.dbCalls(), before, url);
      }
    });
    await t.step("an app no one configured: 404", async () => {
      const res = await gw.handler(signedSlackRequest(secret, body, { path: "/slack/nope" }));
      assertEquals(res.status, 404);
    });
    await t.step("Slack's unsigned SSL check: 200, nothing run", async () => {
      const before = gw.dbCalls();
      const check = signedSlackRequest(secret, "ssl_check=1&token=abc", { omit: "both" });
      assertEquals((await gw.handler(check)).status, 200);
      const smuggled = signedSlackRequest(secret, `ssl_check=1&${body}`, { omit: "both" });
      assertEquals((await gw.handler(smuggled)).status, 401);
      assertEquals(gw.dbCalls(), before);
    });
    await t.step("url_verification answers its challenge", async () => {
      const event = JSON.stringify({
        token: "t",
        challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        type: "url_verification",
      });
      const res = await gw.handler(
        signedSlackRequest(secret, event, { contentType: "application/json" }),
      );
      assertEquals(await res.json(), {
        challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
      });
    });
  } finally {
    await gw.close();
  }
});
