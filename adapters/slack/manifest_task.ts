/**
 * `deno task slack:manifest [--local] [--bot NAME] [--url GATEWAY_URL]`: prints the Slack app
 * manifest (JSON, which Slack takes as it takes YAML) of one Slack app: the default
 * (`SLACK_COMMAND_PREFIX`, …) or `--bot NAME` of `SLACK_APPS`. It needs no signing secret (the
 * app has none before it is created from the manifest), only what the manifest holds. The
 * gateway's URL defaults to `$SUPABASE_URL/functions/v1/gateway`; `--local` takes it and the apps
 * from the running local stack. Never prints a secret: the manifest has none.
 */
import { parseArgs } from "node:util";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import { slackApps } from "../../supabase/functions/_shared/bots_slack.ts";
import { ConfigError } from "../../supabase/functions/_shared/config_values.ts";
import { slackManifest } from "./manifest.ts";

/** Runs the task; returns the exit code. Exported for tests. */
export async function main(
  args: string[],
  env: Record<string, string | undefined>,
  print: (line: string) => void = console.log,
): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      options: {
        url: { type: "string" },
        bot: { type: "string", default: "default" },
        local: { type: "boolean", default: false },
      },
    }).values;
  } catch (err) {
    print(`error: ${(err as Error).message}`);
    return 2;
  }
  if (flags.local) {
    try {
      // Loaded only for --local: the dev stack is not part of what a deployment copies.
      const { localStackEnv } = await import("../../dev/local_stack.ts");
      env = { ...env, ...(await localStackEnv(env)) };
    } catch (err) {
      print(`error: ${(err as Error).message}`);
      return 2;
    }
  }
  let apps;
  try {
    // No signing secret needed: Slack shows it only once the app is made from this manifest.
    apps = slackApps((name) => env[name]?.trim() || undefined, { signingSecretRequired: false });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    print(`error: ${err.message}`);
    return 2;
  }
  const app = apps.find((a) => a.name === flags.bot);
  if (!app) {
    const names = apps.map((a) => a.name).join(", ");
    print(`error: no Slack app is named '${flags.bot}' (configured: ${names})`);
    return 2;
  }
  const base = env.SUPABASE_URL?.trim().replace(/\/+$/, "");
  const url = flags.url ?? (base ? `${base}/functions/v1/gateway` : undefined);
  if (!url || !URL.canParse(url)) {
    print("error: pass --url https://<project>.supabase.co/functions/v1/gateway");
    return 2;
  }
  print(JSON.stringify(slackManifest(app, commands, url, env.GATEWAY_APP_NAME?.trim()), null, 2));
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args, Deno.env.toObject()));
