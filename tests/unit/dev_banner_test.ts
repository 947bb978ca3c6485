/**
 * The banner `deno task dev` prints names every channel the local stack serves (its routes and the
 * sink recording what the gateway sent there) and hides the database password.
 */
import { assert, assertMatch } from "../assert.ts";
import { stackBanner } from "../../dev/banner.ts";

Deno.test("dev banner: every channel, its sink, no password", () => {
  const url = "http://127.0.0.1:54321";
  const text = stackBanner({
    url,
    dbUrl: "postgresql://postgres:s3cret@127.0.0.1:54322/postgres",
    stateDir: ".local/dev",
    seconds: "4.2",
    reset: false,
  });
  const gw = `${url}/functions/v1/gateway`;
  for (const channel of ["telegram", "discord", "slack"]) {
    assertMatch(text, new RegExp(`POST ${gw}/${channel} `), channel);
    assertMatch(text, new RegExp(`POST ${gw}/${channel}/staging `), `${channel} staging`);
    assertMatch(text, new RegExp(`${url}/__sinks/${channel}/(sent|calls)\\)`), `${channel} sink`);
  }
  assertMatch(text, new RegExp(`POST ${gw}/notify `));
  assert(!text.includes("s3cret"), "the database password");
});
