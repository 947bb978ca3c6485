/**
 * The notification bench, the report's "Notifications" section (`deno task bench --only notify`
 * alone, and after the scenarios in a full or `--quick` run): a local stack of its own
 * (PostgreSQL, PostgREST, the gateway in-process, the sinks with the platforms' limits switched
 * on: Telegram 1 message/s per chat and 30/s per bot, Discord's buckets), started after the
 * scenarios' stack has stopped, then
 *
 * - drain throughput: 300 notifications committed at once to 60 users with a Telegram and a
 *   Discord account each (600 messages, 5 per chat), drained until none is pending: messages per
 *   second per platform, and the 429s the platforms answered;
 * - commit-to-send latency, p50 and p99, from the commit (or the server's call) to the sink
 *   receiving the message: a server's `POST /notify` (it wakes its own drain); a SQL commit with
 *   the wake hosted Supabase gets from pg_net (`POST /notify/drain` right after the commit, not
 *   waited for, as pg_net does not wait); a SQL commit with only the local stack's timer (every
 *   second).
 *
 * About 50 s (`quick`: fewer latency samples, about 35 s); report.ts prints the result.
 */
import { startStack } from "../dev/stack.ts";
import { freePort } from "../dev/ports.ts";
import { REPO_ROOT } from "../dev/paths.ts";
import { silentLogger } from "../supabase/functions/_shared/log.ts";

const USERS = 60;
const PER_USER = 5;

/** What the notification bench measured. */
export interface NotifyResult {
  throughput: Record<
    "telegram" | "discord",
    { sent: number; perSecond: number; refused429: number }
  >;
  /** All messages, per chat, and how long the drain took (s). */
  messages: number;
  perChat: number;
  seconds: number;
  /** Commit to send, by path: p50 and p99 in ms, and how many samples. */
  latency: Record<string, { p50: number; p99: number; n: number }>;
}

/** Runs the notification bench; `quick`: fewer latency samples (the p99 is then their maximum). */
export async function benchNotifications(
  log: (line: string) => void,
  { quick = false } = {},
): Promise<NotifyResult> {
  const LATENCY_SAMPLES = quick ? 20 : 40;
  // Each takes about a second (a random wait, so the samples do not lock to the timer's phase).
  const TIMER_SAMPLES = quick ? 10 : 20;
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
    };
    const seconds = (Date.now() - started) / 1000;

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
    // t0 is taken before psql runs: its process start (~20 ms) is counted against us. The wake is
    // not waited for (pg_net does not wait; the drain it starts answers only once it has looked
    // again after a chat's interval, over a second later); the wakes are collected for the end.
    const wakes: Promise<unknown>[] = [];
    const woken = await sample("SQL commit + wake", LATENCY_SAMPLES, async (u, text) => {
      await psql(`select public.gateway_notify('${u}', '${text}')`);
      wakes.push(
        fetch(`${gw}/notify/drain`, { method: "POST", headers: auth }).then((r) =>
          r.body?.cancel()
        ),
      );
    });
    await Promise.all(wakes);
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

    return { throughput, messages: USERS * PER_USER * 2, perChat: PER_USER, seconds, latency };
  } finally {
    await stack.stop();
  }
}
