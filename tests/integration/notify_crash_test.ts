/**
 * A gateway killed mid-drain (SIGKILL, a real OS process): its claims hold their rows until the
 * lease ends, then another instance sends them. Two deliveries are in flight at the kill, through
 * a relay in front of Telegram: one the relay held before Telegram saw it (sent once, after the
 * recovery), one Telegram accepted whose answer the relay held (the gateway never learnt it was
 * sent: sent again after the recovery). That second message is the only kind a crash duplicates:
 * accepted by the platform before the kill, not yet recorded.
 */
import { assertEquals, assertMatch } from "../assert.ts";
import {
  integration,
  linkCodeFor,
  linkTelegram,
  newUser,
  psql,
  randomExternalId,
  startGateway,
  tokenFor,
} from "../fixtures.ts";
import { spawnGateway } from "../support/gateway_process.ts";
import { deliveriesOf, drainNow } from "../support/notify.ts";
import { LEASE_SECONDS, MAX_ATTEMPTS } from "../../adapters/notify/drain.ts";

Deno.test(
  "a gateway killed mid-drain: sent after the lease, a duplicate only if accepted",
  integration,
  async () => {
    const survivor = await startGateway();
    const sinkRoot = survivor.env.TELEGRAM_API_ROOT;
    const link = async () => {
      const user = await newUser();
      const tg = randomExternalId();
      assertMatch(
        await linkTelegram(survivor, tg, await linkCodeFor(await tokenFor(user))),
        /Link/,
      );
      return { user, tg };
    };
    const held = await link(); // Telegram never sees it before the kill
    const accepted = await link(); // Telegram takes it; the gateway never hears back
    // The relay: forwards to the sink for `accepted` and then sits on the answer; holds `held`.
    const seen = new Set<string>();
    const hanging: ((res: Response) => void)[] = [];
    const relay = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
      const url = new URL(req.url);
      const body = await req.text();
      const chat = String((JSON.parse(body || "{}") as { chat_id?: unknown }).chat_id);
      if (chat === accepted.tg) {
        await fetch(`${sinkRoot}${url.pathname}`, {
          method: req.method,
          headers: req.headers,
          body,
        }).then((r) => r.body?.cancel());
      }
      seen.add(chat); // once Telegram has it, for `accepted`: the kill comes after that

      return await new Promise<Response>((answer) => hanging.push(answer)); // not until the end
    });
    const doomed = await spawnGateway({
      ...survivor.env,
      TELEGRAM_API_ROOT: `http://127.0.0.1:${relay.addr.port}`,
    });
    try {
      // Enqueued in SQL (POST /notify would start the survivor's own drain).
      await psql(
        [held, accepted].map(({ user }) =>
          `select public.gateway_notify('${user.id}', 'Crash test');`
        ).join("\n"),
      );
      doomed.request("/notify/drain", {
        method: "POST",
        headers: { authorization: `Bearer ${survivor.env.SUPABASE_SERVICE_ROLE_KEY}` },
      }).catch(() => null);
      const deadline = Date.now() + 5_000;
      while (!(seen.has(held.tg) && seen.has(accepted.tg)) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assertEquals([seen.has(held.tg), seen.has(accepted.tg)], [true, true], "both in flight");
      doomed.kill("SIGKILL");
      const killed = Date.now();
      const sentTo = (tg: string) =>
        survivor.telegram.calls("sendMessage").filter((c) =>
          String(c.params.chat_id) === tg && c.params.text === "Crash test" && c.status === 200
        ).length;
      assertEquals([sentTo(held.tg), sentTo(accepted.tg)], [0, 1]);
      while (Date.now() - killed < (LEASE_SECONDS + 5) * 1000) {
        await drainNow(survivor);
        const done = (await deliveriesOf(held.user.id))[0].status === "sent" &&
          (await deliveriesOf(accepted.user.id))[0].status === "sent";
        if (done) break;
        await new Promise((r) => setTimeout(r, 500));
      }
      const recoveredMs = Date.now() - killed;
      console.log(`sent ${recoveredMs} ms after the kill (lease ${LEASE_SECONDS} s)`);
      assertEquals(sentTo(held.tg), 1, "held before Telegram: sent once");
      assertEquals(sentTo(accepted.tg), 2, "accepted before the kill: the one duplicate");
      for (const { user } of [held, accepted]) {
        assertEquals((await deliveriesOf(user.id)).map((r) => [r.status, r.attempts]), [[
          "sent",
          2,
        ]]);
      }
    } finally {
      await doomed.stop();
      for (const answer of hanging) answer(new Response(null, { status: 503 }));
      await relay.shutdown().catch(() => {});
      await survivor.close();
    }
  },
);

Deno.test(
  "a delivery whose drainers kept dying is dead after the last attempt, not sent",
  integration,
  async () => {
    const gw = await startGateway();
    const user = await newUser();
    const tg = randomExternalId();
    try {
      assertMatch(await linkTelegram(gw, tg, await linkCodeFor(await tokenFor(user))), /Link/);
      await psql(`select public.gateway_notify('${user.id}', 'Never finished');`);
      // Every claim so far ended in a killed drainer (its lease ran out, no report): the next
      // claim is one more than the gateway makes.
      await psql(
        `update public.notification_deliveries set attempts = ${MAX_ATTEMPTS}
         where user_id = '${user.id}'`,
      );
      await drainNow(gw);
      assertEquals(
        (await deliveriesOf(user.id)).map((r) => [r.status, r.attempts, r.last_error]),
        [[
          "dead",
          MAX_ATTEMPTS + 1,
          `not sent: gave up after ${MAX_ATTEMPTS} attempts that never finished`,
        ]],
      );
      assertEquals(
        gw.telegram.calls("sendMessage").filter((c) => c.params.text === "Never finished"),
        [],
      );
    } finally {
      await gw.close();
    }
  },
);
