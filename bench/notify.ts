/**
 * The notification bench (`deno task bench --only notify`, and the end of a full `deno task
 * bench`): a local stack of its own (PostgreSQL, PostgREST, the gateway in-process, the sinks with
 * the platforms' limits switched on: Telegram 1 message/s per chat and 30/s per bot, Discord's
 * buckets), then
 *
 * - drain throughput: 300 notifications committed at once to 60 users with a Telegram and a
 *   Discord account each (600 messages, 5 per chat), drained until none is pending: messages per
 *   second per platform, and the 429s the platforms answered;
 * - commit-to-send latency, p50 and p99, from the commit (or the server's call) to the sink
 *   receiving the message: a server's `POST /notify` (it wakes its own drain); a SQL commit with
 *   the wake hosted Supabase gets from pg_net (`POST /notify/drain` right after the commit); a SQL
 *   commit with only the local stack's timer (every second).
 *
 * Writes `.local/bench-notify/notify.json`. Kept apart from bench/main.ts so either can change alone.
 */
import { startStack } from "../dev/stack.ts";
import { freePort } from "../dev/ports.ts";
import { REPO_ROOT } from "../dev/paths.ts";
import { silentLogger } from "../supabase/functions/_shared/log.ts";

const USERS = 60;
const PER_USER = 5;
const LATENCY_SAMPLES = 40;
const TIMER_SAMPLES = 20;

/** Runs the notification bench and prints its tables. */
export async function benchNotifications(log: (line: string) => void): Promise<void> {
  const stateDir = `${REPO_ROOT}/.local/bench-notify`;
  const stack = await startStack({
    stateDir,
    ports: { front: freePort(), db: freePort(), rest: freePort() },
    reset: true,
    env: { GATEWAY_RATE_LIMIT_PER_MINUTE: "0" },
    gatewayLog: silentLogger,
  });
  try {
    stack.telegram.setLimits(true);
    stack.discord.setLimits(true);
    const psql = (sql: string) => stack.db.psql(sql);
    // Users with a Telegram and a Discord account (throughput), and with Telegram only (latency).
    await psql(`
      insert into auth.users (id, email)
        select ('b0000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'n' || n || '@bench'
        from generate_series(1, ${USERS + 2 * LATENCY_SAMPLES + TIMER_SAMPLES}) n;
      insert into public.chat_identities (user_id, provider, external_id)
        select ('b0000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'telegram',
          (8000000 + n)::text
        from generate_series(1, ${USERS + 2 * LATENCY_SAMPLES + TIMER_SAMPLES}) n;
      insert into public.chat_identities (user_id, provider, external_id)
        select ('b0000000-0000-4000-8000-' || lpad(n::text, 12, '0'))::uuid, 'discord',
          (9000000 + n)::text
        from generate_series(1, ${USERS}) n;`);
    const user = (n: number) => `b0000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

    log("notifications: drain throughput");
    const tgBefore = stack.telegram.sent.length;
    const dcBefore = stack.discord.calls.length;
    const sql = [];
    for (let n = 1; n <= USERS; n++) {
      for (let k = 1; k <= PER_USER; k++) {
        sql.push(`select public.gateway_notify('${user(n)}', 'bulk ${n}.${k}');`);
      }
    }
    await psql(`begin;\n${sql.join("\n")}\ncommit;`);
    const started = Date.now();
    for (;;) {
      await stack.gateway.notifications.drain();
      const left = await psql(
        "select count(*) from public.notification_deliveries where status = 'pending'",
      );
      if (left === "0") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const tg = stack.telegram.sent.slice(tgBefore).filter((c) => c.method === "sendMessage");
    const dc = stack.discord.calls.slice(dcBefore).filter((c) => /\/messages$/.test(c.path));
    const rate = (ok: { time: number }[]) =>
      ok.length / Math.max(0.001, (ok.at(-1)!.time - started) / 1000);
    const tgOk = tg.filter((c) => c.status === 200);
    const dcOk = dc.filter((c) => c.status === 200);
    const throughput = {
      telegram: { sent: tgOk.length, perSecond: rate(tgOk), refused429: tg.length - tgOk.length },
      discord: { sent: dcOk.length, perSecond: rate(dcOk), refused429: dc.length - dcOk.length },
      seconds: (Date.now() - started) / 1000,
    };

    const gw = `${stack.url}/functions/v1/gateway`;
    const auth = { authorization: `Bearer ${stack.keys.serviceRoleKey}` };
    let next = USERS + 1;
    const arrival = async (text: string) =>
      (await stack.telegram.waitFor(
        (c) => c.method === "sendMessage" && c.params.text === text,
        10_000,
      ))
        .time;
    /** `count` sequential samples, `gapMs()` apart (random for the timer: no phase lock). */
    const sample = async (
      label: string,
      count: number,
      send: (u: string, text: string) => Promise<void>,
      gapMs = () => 50,
    ) => {
      log(`notifications: latency, ${label}`);
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        const text = `${label} ${i}`;
        const t0 = Date.now();
        await send(user(next++), text);
        out.push((await arrival(text)) - t0);
        await new Promise((r) => setTimeout(r, gapMs()));
      }
      return out;
    };
    const server = await sample("server POST /notify", LATENCY_SAMPLES, async (u, text) => {
      const res = await fetch(`${gw}/notify`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ user_id: u, text }),
      });
      await res.body?.cancel();
    });
    // t0 is taken before psql runs: its process start (~20 ms) is counted against us.
    const woken = await sample("SQL commit + wake", LATENCY_SAMPLES, async (u, text) => {
      await psql(`select public.gateway_notify('${u}', '${text}')`);
      await fetch(`${gw}/notify/drain`, { method: "POST", headers: auth })
        .then((r) => r.body?.cancel());
    });
    const timer = await sample("SQL commit, local timer", TIMER_SAMPLES, async (u, text) => {
      await psql(`select public.gateway_notify('${u}', '${text}')`);
    }, () => Math.random() * 1000);
    const pct = (xs: number[], p: number) => {
      const s = [...xs].sort((a, b) => a - b);
      return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
    };
    const latency = Object.fromEntries(
      ([["server POST /notify", server], ["SQL commit + wake (pg_net)", woken], [
        "SQL commit, local 1 s timer",
        timer,
      ]] as const).map(([k, xs]) => [k, { p50: pct(xs, 50), p99: pct(xs, 99), n: xs.length }]),
    );

    console.log("\nNotifications, platform limits on (Telegram 1/s per chat, 30/s per bot):");
    console.log("| platform | sent | messages/s | 429s answered |");
    console.log("| --- | --- | --- | --- |");
    for (
      const [name, t] of Object.entries({
        Telegram: throughput.telegram,
        Discord: throughput.discord,
      })
    ) {
      console.log(`| ${name} | ${t.sent} | ${t.perSecond.toFixed(1)} | ${t.refused429} |`);
    }
    console.log(
      `(${USERS * PER_USER * 2} messages, ${PER_USER} per chat, drained in ${
        throughput.seconds.toFixed(1)
      } s)`,
    );
    console.log("\n| commit to send | p50 ms | p99 ms | samples |");
    console.log("| --- | --- | --- | --- |");
    for (const [name, l] of Object.entries(latency)) {
      console.log(`| ${name} | ${l.p50} | ${l.p99} | ${l.n} |`);
    }
    await Deno.writeTextFile(
      `${stateDir}/notify.json`,
      JSON.stringify({ throughput, latency }, null, 2) + "\n",
    );
  } finally {
    await stack.stop();
  }
}

if (import.meta.main) await benchNotifications((line) => console.error(`[bench] ${line}`));
