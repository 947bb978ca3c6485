/**
 * What `--local` gives the tasks (`telegram:webhook`, `discord:register`, `status`,
 * `slack:manifest`): the running local stack's URL, read from its state folder (`STACK_STATE_DIR`,
 * else `.local/dev`), its Telegram, Discord and Slack sinks as the APIs, and its local-only channel
 * secrets (every local bot). No variables to export: the tasks then talk to the local stack as they
 * would to the platforms. Variables you did export win over those defaults, as they do when the
 * stack starts its gateway (`gateway_env.ts`), so a task acts on the bots the stack serves; only
 * the URL is always the stack's.
 *
 * @module
 */
import { type ChannelSecrets, extraBotsEnv } from "./channel_secrets.ts";
import { gatewayEnvironment } from "./gateway_env.ts";
import { stackStateDir } from "./paths.ts";
import { DISCORD_SINK_PREFIX, SLACK_SINK_PREFIX, TELEGRAM_SINK_PREFIX } from "./sinks/mod.ts";
import { runningStack } from "./stack_lock.ts";

/**
 * The gateway variables of the stack running from the state folder `env` names, as its gateway
 * reads them (`env`'s own win over the local defaults), with the stack's URL; throws a one-line
 * error when no stack runs there.
 */
export async function localStackEnv(
  env: Record<string, string | undefined>,
): Promise<Record<string, string>> {
  const stateDir = stackStateDir(env);
  const stack = await runningStack(stateDir);
  if (!stack) {
    throw new Error(`no local stack is running from ${stateDir}: start it with ./deno task dev`);
  }
  let secrets: ChannelSecrets;
  try {
    secrets = JSON.parse(await Deno.readTextFile(`${stateDir}/channels.json`));
  } catch {
    throw new Error(`${stateDir}/channels.json is unreadable: restart the stack (./deno task dev)`);
  }
  const apis = {
    telegramApiRoot: `${stack.url}${TELEGRAM_SINK_PREFIX}`,
    discordApiBase: `${stack.url}${DISCORD_SINK_PREFIX}/api/v10`,
    slackApiBase: `${stack.url}${SLACK_SINK_PREFIX}/api`,
  };
  const defaults: Record<string, string | undefined> = {
    TELEGRAM_BOT_TOKEN: secrets.telegramBotToken,
    TELEGRAM_WEBHOOK_SECRET: secrets.telegramWebhookSecret,
    TELEGRAM_BOT_USERNAME: "LocalGatewayBot",
    TELEGRAM_API_ROOT: apis.telegramApiRoot,
    DISCORD_PUBLIC_KEY: secrets.discordPublicKey,
    DISCORD_APPLICATION_ID: secrets.discordApplicationId,
    DISCORD_BOT_TOKEN: secrets.discordBotToken,
    DISCORD_API_BASE: apis.discordApiBase,
    ...(secrets.slackSigningSecret
      ? {
        SLACK_SIGNING_SECRET: secrets.slackSigningSecret,
        SLACK_BOT_TOKEN: secrets.slackBotToken,
        SLACK_API_BASE: apis.slackApiBase,
      }
      : {}),
    ...(secrets.bots ? extraBotsEnv(secrets, apis) : {}),
  };
  const set = Object.entries(defaults).filter((e): e is [string, string] => e[1] !== undefined);
  // --local means this stack, whatever SUPABASE_URL says.
  return { ...gatewayEnvironment(env, Object.fromEntries(set)), SUPABASE_URL: stack.url };
}
