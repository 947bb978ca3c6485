/** What the setup tasks print never holds a token: as it is, URL-encoded or in base64. */
import { assertEquals } from "../assert.ts";
import { redact } from "../../adapters/task_bots.ts";

Deno.test("redact: a token as it is, URL-encoded and in base64 (a header an echo quotes)", () => {
  const token = "7000000001:LOCAL_SECRET/PART+x";
  const line = [
    `url=/bot${token}/x`,
    `enc=${encodeURIComponent(`/bot${token}`)}`,
    `b64=${btoa(`Bot ${token}`)}`,
    `raw=${btoa(token)}`,
  ].join(" ");
  assertEquals(redact(line, [token]), "url=/bot***/x enc=%2Fbot*** b64=*** raw=***");
  assertEquals(redact("Zürich ünïcode", ["ü"]), "Z***rich ***nïcode");
});
