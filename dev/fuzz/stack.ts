/**
 * The fuzz run's own local stack: `dev/stack.ts`'s `startStack` on free loopback ports, in its own
 * state folder under `.local`, with two fuzz settings: the rate limit is off
 * (GATEWAY_RATE_LIMIT_PER_MINUTE=0: thousands of cases from one linked account would otherwise
 * mostly be 429s and never reach the command layer), and every gateway log line and every bearer
 * the gateway shows PostgREST are kept for the secret checks. Its environment is the fuzz run's
 * alone (not the shell's), so a developer's variables cannot change what is fuzzed. Three fresh
 * users are added for the linked Telegram, Discord and Slack accounts (linked by the run itself,
 * through the real path: link-code over HTTPS, then /link on the channel).
 */
import type { Gateway } from "../../supabase/functions/gateway/gateway.ts";
import { createLogger } from "../../supabase/functions/_shared/log.ts";
import type { DevKeys } from "../keys.ts";
import { freePort } from "../ports.ts";
import type { LocalPostgres } from "../postgres.ts";
import type { DiscordSink, SlackSink, TelegramSink } from "../sinks/mod.ts";
import { type ChannelSecrets, loadOrCreateChannelSecrets } from "../channel_secrets.ts";
import { startStack } from "../stack.ts";
import { BOT_USERNAME, DISCORD_APP_ID } from "./generate.ts";

/** Fresh users the linked chat accounts act as (HTTPS cases act as the seeded alice and bob). */
export const FUZZ_USERS = {
  telegram: "f0220000-0000-4000-8000-000000000001",
  discord: "f0220000-0000-4000-8000-000000000002",
  slack: "f0220000-0000-4000-8000-000000000003",
} as const;

/** A running fuzz stack. */
export interface FuzzStack {
  /** Base URL of the gateway, `…/functions/v1/gateway`. */
  gatewayUrl: string;
  keys: DevKeys;
  secrets: ChannelSecrets;
  gatewayEnv: Record<string, string>;
  db: LocalPostgres;
  gateway: Gateway;
  telegram: TelegramSink;
  discord: DiscordSink;
  slack: SlackSink;
  /** Every line the gateway logged, in order. */
  logs: string[];
  /** Access tokens the gateway sent to PostgREST so far (users' own and minted sessions). */
  sessionTokens: Set<string>;
  stop(): Promise<void>;
}

/** Starts the stack in `stateDir` (wiped first). */
export async function startFuzzStack(stateDir: string): Promise<FuzzStack> {
  const logs: string[] = [];
  const sessionTokens = new Set<string>();
  const stack = await startStack({
    stateDir,
    ports: { front: freePort(), db: freePort(), rest: freePort() },
    reset: true,
    env: {
      GATEWAY_RATE_LIMIT_PER_MINUTE: "0",
      TELEGRAM_BOT_USERNAME: BOT_USERNAME,
      DISCORD_APPLICATION_ID: DISCORD_APP_ID,
    },
    gatewayLog: createLogger((line) => logs.push(line)),
    // Remember every bearer the gateway shows PostgREST (minted chat sessions among them).
    wrapFetch: (direct) => (input, init) => {
      const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : {}));
      const bearer = /^Bearer (.+)$/.exec(headers.get("authorization") ?? "")?.[1];
      if (bearer && bearer !== stack.keys.serviceRoleKey) sessionTokens.add(bearer);
      return direct(input, init);
    },
  });
  try {
    await stack.db.psql(
      `insert into auth.users (id, email, raw_app_meta_data, raw_user_meta_data) values
       ('${FUZZ_USERS.telegram}', 'fuzz-telegram@example.test', '{"provider":"email"}', '{}'),
       ('${FUZZ_USERS.discord}', 'fuzz-discord@example.test', '{"provider":"email"}', '{}'),
       ('${FUZZ_USERS.slack}', 'fuzz-slack@example.test', '{"provider":"email"}', '{}')`,
    );
    return {
      gatewayUrl: `${stack.url}/functions/v1/gateway`,
      keys: stack.keys,
      secrets: await loadOrCreateChannelSecrets(stateDir),
      gatewayEnv: stack.gatewayEnv,
      db: stack.db,
      gateway: stack.gateway,
      telegram: stack.telegram,
      discord: stack.discord,
      slack: stack.slack,
      logs,
      sessionTokens,
      stop: stack.stop,
    };
  } catch (err) {
    await stack.stop();
    throw err;
  }
}
