/**
 * The Slack app manifest for one configured app (what `deno task slack:manifest` prints, to paste
 * into api.slack.com/apps → Create New App → From a manifest, or App Manifest for an existing
 * app): its slash commands from the registry (only the app's own, named with its prefix, with
 * their descriptions and usage hints), the gateway's URL as the Request URL of every command, of
 * interactivity and of the Events API (bot events `app_mention` and `message.im`: commands by
 * mention and in the app's DM), the App Home's messages tab (where people write to the app), and
 * the bot scopes the gateway uses (`commands`; `chat:write` and `im:write` for answers and direct
 * messages; `app_mentions:read` and `im:history` for the two events). Pure: it reads nothing and
 * calls nothing.
 */
import type { SlackApp } from "../../supabase/functions/_shared/bots_slack.ts";
import { DEFAULT_BOT } from "../../supabase/functions/_shared/bots.ts";
import { type AnyCommand, listedOn } from "../../supabase/functions/_shared/command.ts";
import { commandWord, usage } from "../../supabase/functions/_shared/wording.ts";

/**
 * The bot scopes: slash commands, posting (answers, direct messages), opening direct messages,
 * and the two events: mentions (`app_mentions:read`) and messages in the app's DM (`im:history`).
 */
export const BOT_SCOPES = [
  "commands",
  "chat:write",
  "im:write",
  "app_mentions:read",
  "im:history",
] as const;
/** The events that carry commands (event_command.ts). */
export const BOT_EVENTS = ["app_mention", "message.im"] as const;
/** Slack's limits on the manifest's fields (manifest schema 1.0.0). */
const APP_NAME_LIMIT = 35;
const MAX_COMMANDS = 50;

/** One slash command as the manifest declares it. */
export interface ManifestCommand {
  command: string;
  url: string;
  description: string;
  usage_hint?: string;
  should_escape: boolean;
}

/** The route of an app under the gateway's base URL (`…/functions/v1/gateway`). */
export function slackRequestUrl(gatewayUrl: string, app: Pick<SlackApp, "name">): string {
  const base = gatewayUrl.replace(/\/+$/, "");
  return app.name === DEFAULT_BOT ? `${base}/slack` : `${base}/slack/${app.name}`;
}

/** The slash commands `app` offers, as the manifest lists them. */
export function manifestCommands(
  app: Pick<SlackApp, "name" | "commandPrefix" | "commands">,
  registry: readonly AnyCommand[],
  url: string,
): ManifestCommand[] {
  const offered = listedOn(registry, "slack")
    .filter((c) => !app.commands || app.commands.includes(c.name));
  if (offered.length > MAX_COMMANDS) {
    throw new Error(`Slack takes at most ${MAX_COMMANDS} slash commands per app.`);
  }
  return offered.map((c) => {
    const word = commandWord(c.name, "slack", app.commandPrefix);
    const hint = usage(c, "slack", app.commandPrefix).slice(word.length + 1).trim();
    return {
      command: `/${word}`,
      url,
      description: c.description,
      ...(hint ? { usage_hint: hint } : {}),
      // Arguments are read as typed: no <@U…|name> rewriting of mentions.
      should_escape: false,
    };
  });
}

/** The whole manifest for `app` behind the gateway at `gatewayUrl`. */
export function slackManifest(
  app: SlackApp,
  registry: readonly AnyCommand[],
  gatewayUrl: string,
  appName = "Supabase gateway",
) {
  const url = slackRequestUrl(gatewayUrl, app);
  const name = (app.appName ?? appName).slice(0, APP_NAME_LIMIT);
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: {
      name,
      description: `Use ${name} from Slack: commands run as your linked account.`.slice(
        0,
        140,
      ),
    },
    features: {
      // The messages tab is the app's DM: without it nobody can write "tasks" to the app.
      app_home: {
        home_tab_enabled: false,
        messages_tab_enabled: true,
        messages_tab_read_only_enabled: false,
      },
      bot_user: { display_name: name, always_online: false },
      slash_commands: manifestCommands(app, registry, url),
    },
    oauth_config: { scopes: { bot: [...BOT_SCOPES] } },
    settings: {
      event_subscriptions: { request_url: url, bot_events: [...BOT_EVENTS] },
      interactivity: { is_enabled: true, request_url: url },
      org_deploy_enabled: false,
      socket_mode_enabled: false,
      token_rotation_enabled: false,
    },
  };
}
