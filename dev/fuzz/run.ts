/**
 * Running one case to the end: send it, wait for the gateway's background work (ledger
 * completions, deferred Discord edits), count rows again, collect the log lines and platform
 * messages it caused, and judge it. Cases run one at a time, so everything that happened between
 * two snapshots belongs to the case in between. Also the setup step that links the chat accounts.
 */
import { devAccessToken } from "../auth.ts";
import { type CaseResult, checkCase, replyTexts, type Secret, type Violation } from "./checks.ts";
import type { Counts, CountsSession } from "./db_counts.ts";
import { DC_LINKED, DISCORD_APP_ID, type FuzzCase, SL_LINKED, TG_LINKED } from "./generate.ts";
import { type Credentials, sendCase } from "./send.ts";
import { FUZZ_USERS, type FuzzStack } from "./stack.ts";

/** Runs `c` and judges it; `next` is the snapshot the following case starts from. */
export async function runCase(
  stack: FuzzStack,
  creds: Credentials,
  session: CountsSession,
  c: FuzzCase,
  before: Counts,
  secrets: readonly Secret[],
): Promise<{ result: CaseResult; violations: Violation[]; next: Counts }> {
  const marks = [
    stack.logs.length,
    stack.telegram.sent.length,
    stack.discord.calls.length,
    stack.slack.calls.length,
  ];
  const obs = await sendCase(stack, creds, c);
  await stack.gateway.core.drain();
  const after = await session.counts();
  const telegramTexts = stack.telegram.sent.slice(marks[1])
    .filter((call) => call.method === "sendMessage")
    .map((call) => call.params.text);
  const discordBodies = c.channel === "slack"
    ? stack.slack.calls.slice(marks[3]).filter((call) => call.status === 200).map((call) =>
      call.body
    )
    : stack.discord.calls.slice(marks[2]).map((call) => call.body);
  const result: CaseResult = {
    fuzzCase: c,
    obs,
    before,
    after,
    logs: stack.logs.slice(marks[0]),
    replies: replyTexts(c.channel, obs, telegramTexts, discordBodies),
  };
  const sessions = [...stack.sessionTokens].map((value) => ({ name: "session token", value }));
  const violations = checkCase(result, [...secrets, ...sessions]);
  let next = after;
  if (after.chat_identities < 3) {
    // A case unlinked a fuzz account (allowed when the reply said so): link it again, so the
    // cases after it still reach the command layer.
    await session.query(relinkSql());
    next = await session.counts();
  }
  return { result, violations, next };
}

/**
 * Links TG_LINKED, DC_LINKED and SL_LINKED to their fuzz users: a link code over HTTPS, then
 * /link.
 */
export async function linkAccounts(stack: FuzzStack, creds: Credentials): Promise<void> {
  const issuer = `${stack.gatewayEnv.SUPABASE_URL}/auth/v1`;
  for (const channel of ["telegram", "discord", "slack"] as const) {
    const token = await devAccessToken(stack.keys.signingKey, issuer, {
      id: FUZZ_USERS[channel],
      email: `fuzz-${channel}@example.test`,
    });
    const created = await sendCase(
      stack,
      creds,
      setupCase("http", "/commands/link-code", "{}", token),
    );
    const code = JSON.parse(created.body)?.data?.code;
    if (typeof code !== "string") {
      throw new Error(`link-code failed: ${created.status} ${created.body}`);
    }
    const sentBefore = stack.telegram.sent.length;
    const [team, user] = SL_LINKED.split(":");
    const body = channel === "slack"
      ? new URLSearchParams({
        team_id: team,
        user_id: user,
        command: "/link",
        text: code,
        response_url: "@response-url",
        trigger_id: "1.1.fuzzsetup",
      }).toString()
      : channel === "telegram"
      ? JSON.stringify({
        update_id: 1,
        message: {
          message_id: 1,
          date: 1_764_633_600,
          chat: { id: TG_LINKED, type: "private", first_name: "Fuzz" },
          from: { id: TG_LINKED, is_bot: false, first_name: "Fuzz" },
          text: `/link ${code}`,
        },
      })
      : JSON.stringify({
        id: "1299999999999999999",
        application_id: DISCORD_APP_ID,
        type: 2,
        token: "fuzz-setup-token",
        version: 1,
        user: { id: DC_LINKED, username: "fuzz" },
        data: { id: "1", name: "link", type: 1, options: [{ name: "code", type: 3, value: code }] },
      });
    const linked = await sendCase(stack, creds, setupCase(channel, `/${channel}`, body));
    await stack.gateway.core.drain();
    const answer = JSON.parse(linked.body || "null");
    const reply = channel === "telegram"
      ? String(stack.telegram.sent.slice(sentBefore).at(-1)?.params.text ?? "")
      : channel === "slack"
      ? String(answer?.text ?? "")
      : String(answer?.data?.content ?? "");
    if (!reply.startsWith("Linked")) throw new Error(`linking ${channel} failed: ${reply}`);
  }
}

function setupCase(
  channel: FuzzCase["channel"],
  path: string,
  body: string,
  token?: string,
): FuzzCase {
  return {
    channel,
    index: -1,
    category: "setup",
    method: "POST",
    path,
    headers: {
      "content-type": channel === "slack"
        ? "application/x-www-form-urlencoded"
        : "application/json",
    },
    body,
    ...(token ? { auth: { scheme: "Bearer", token } } : {}),
    ...(channel === "telegram" ? { secret: "right" as const } : {}),
    ...(channel === "discord" || channel === "slack" ? { signature: "valid" as const } : {}),
  };
}

function relinkSql(): string {
  return `insert into public.chat_identities (user_id, provider, external_id) values
    ('${FUZZ_USERS.telegram}', 'telegram', '${TG_LINKED}'),
    ('${FUZZ_USERS.discord}', 'discord', '${DC_LINKED}'),
    ('${FUZZ_USERS.slack}', 'slack', '${SL_LINKED}')
    on conflict (provider, external_id) do nothing;`;
}
