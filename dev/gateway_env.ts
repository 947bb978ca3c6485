/**
 * The gateway's environment on the local stack: the variables set in the shell win, the stack's
 * local defaults fill the rest. The stack (`stack.ts`) starts its gateway with it, and `--local`
 * tasks (`local_stack.ts`) read their bots through it, so a task acts on exactly the bots the
 * running stack serves.
 *
 * @module
 */

/** Names of the variables the gateway reads (and `GATEWAY_*` ones it may read in future). */
const GATEWAY_VARIABLE = /^(SUPABASE|GATEWAY|TELEGRAM|DISCORD|SLACK)_[A-Z0-9_]+$/;

/**
 * The gateway's environment: every `SUPABASE_*`, `GATEWAY_*`, `TELEGRAM_*`, `DISCORD_*` and
 * `SLACK_*` variable set (non-empty) in `env`, and `defaults` for the rest.
 */
export function gatewayEnvironment(
  env: Record<string, string | undefined>,
  defaults: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = { ...defaults };
  for (const [key, value] of Object.entries(env)) {
    if (GATEWAY_VARIABLE.test(key) && value?.trim()) out[key] = value.trim();
  }
  return out;
}
