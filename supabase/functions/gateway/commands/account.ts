/**
 * Account commands: /whoami, /help, /start, /link, /unlink, and the HTTPS-only `link-code` that
 * creates a code for the signed-in user and returns the Telegram deep link (and says how to send
 * it on Discord and Slack).
 */
import { z } from "zod";
import {
  type CommandContext,
  defineCommand,
  type LinkOutcome,
  listedOn,
} from "../../_shared/command.ts";
import {
  appPlace,
  commandWord,
  howToLink,
  linkSyntax,
  PLATFORM,
  usage,
} from "../../_shared/wording.ts";
import { unwrap } from "../../_shared/db.ts";
import { GatewayError } from "../../_shared/errors.ts";
import { type Reply, reply } from "../../_shared/reply.ts";

// People paste a code as it was shown to them: in backticks or quotes, or ending a sentence. Those
// marks are taken off before the link (`bareCode`); a code refused for them would stay unused, and
// readable to everyone where it was pasted.
const QUOTE = "[`\"'\u2018\u2019\u201c\u201d]";
const CODE = z.string().trim().min(4).max(32)
  .regex(new RegExp(`^${QUOTE}?[A-Za-z0-9 -]+${QUOTE}?[.!]?$`), "letters and digits only")
  .meta({ examples: ["K7MQ2XWR9P"] });

export const whoami = defineCommand({
  name: "whoami",
  description: "Show which account you are signed in as",
  args: z.object({}),
  requires: "user",
  databaseOnly: true,
  readOnly: true,
  run(ctx) {
    const p = ctx.principal!;
    const who = p.claims.email || p.userId;
    const via = ctx.chat ? ` (via ${ctx.chat.provider} account ${ctx.chat.externalId})` : "";
    return Promise.resolve(reply.text(`You are ${who}${via}.`, {
      user_id: p.userId,
      email: p.claims.email || null,
      channel: ctx.channel,
    }));
  },
});

export const help = defineCommand({
  name: "help",
  description: "List the commands",
  args: z.object({}),
  requires: "none",
  databaseOnly: true,
  readOnly: true,
  run(ctx) {
    return Promise.resolve(reply.text(helpText(ctx)));
  },
});

export const start = defineCommand({
  name: "start",
  description: "Start the bot, or link your account with a code",
  args: z.object({ code: CODE.optional().describe("The link code") }),
  requires: "none",
  databaseOnly: true,
  channels: ["telegram"],
  hidden: true,
  async run(ctx, { code }) {
    if (code) return await linkWith(ctx, code);
    const intro = ctx.principal
      ? `Welcome back, ${ctx.principal.claims.email || "friend"}.`
      : "Welcome! This account is not linked yet.\n" + howToLink(ctx.channel, ctx.links);
    return reply.text(`${intro}\n\n${helpText(ctx)}`);
  },
});

export const link = defineCommand({
  name: "link",
  description: "Link this chat account to your web account",
  args: z.object({ code: CODE.describe("The link code") }),
  requires: "none",
  databaseOnly: true,
  channels: ["telegram", "discord", "slack"],
  run: (ctx, { code }) => linkWith(ctx, code),
});

export const unlink = defineCommand({
  name: "unlink",
  description: "Unlink this chat account from your web account",
  args: z.object({}),
  requires: "none",
  databaseOnly: true,
  channels: ["telegram", "discord", "slack"],
  async run(ctx) {
    const platform = PLATFORM[ctx.channel];
    // Not linked (or unlinked meanwhile from the web app): say so rather than ask to link.
    const removed = ctx.principal ? await ctx.linking!.unlink() : false;
    return reply.text(
      removed
        ? `Unlinked. This ${platform} account can no longer act for you.`
        : `This ${platform} account is not linked, so there is nothing to unlink.`,
      { unlinked: removed },
    );
  },
});

export const linkCode = defineCommand({
  name: "link-code",
  description: "Create a one-time code to link a chat account",
  args: z.object({}),
  requires: "user",
  databaseOnly: true,
  channels: ["http"],
  async run(ctx) {
    // Created with the caller's own session, exactly as the web app would. Under an
    // Idempotency-Key the code is the same for the same key: a rerun (another instance, after
    // one died before the ledger stored its answer) must not retire the code the client holds.
    const created = unwrap<{ code: string; expires_at: string }>(
      await ctx.db.rpc(
        "create_link_code",
        ctx.idempotencyKey === null ? {} : { p_idempotency_key: ctx.idempotencyKey },
      ),
      "create_link_code",
    );
    // Only the bots that link accounts are named, each with the ways it takes a code. Each
    // Telegram bot that offers /start gets its deep link, keyed by bot name.
    const code = created.code;
    const bots = ctx.links.telegram ?? [];
    const telegram = Object.fromEntries(
      bots.filter((b) => b.start).map((b) => [b.name, `https://t.me/${b.username}?start=${code}`]),
    );
    // What to send on each platform that links by a command (each Slack app's own command: apps
    // side by side in a workspace have prefixes), in the data for a page and in the text.
    const prefixes = [...new Set((ctx.links.slack ?? []).map((a) => a.commandPrefix))];
    const send: Partial<Record<"telegram" | "discord" | "slack", string[]>> = {};
    if (bots.some((b) => b.link)) send.telegram = [linkSyntax("telegram", code)];
    if (ctx.links.discord) send.discord = [linkSyntax("discord", code)];
    if (prefixes.length) send.slack = prefixes.map((p) => linkSyntax("slack", code, p));
    const lines = [`Your link code: ${code} (valid for 10 minutes, once).`];
    for (const b of bots) {
      const which = bots.length > 1 || !b.start ? ` (@${b.username})` : "";
      const ways = [
        ...(b.start ? [`open ${telegram[b.name]}`] : []),
        ...(b.link ? [`send ${send.telegram![0]}`] : []),
      ];
      lines.push(`Telegram${which}: ${ways.join(", or ")}.`);
    }
    if (send.discord) lines.push(`Discord: use ${send.discord[0]}.`);
    if (send.slack) lines.push(`Slack: send ${send.slack.join(" or ")}.`);
    if (lines.length === 1) lines.push("No chat bot of this app links accounts yet.");
    return reply.text(lines.join("\n"), {
      code: created.code,
      expires_at: created.expires_at,
      links: { telegram },
      send,
    });
  },
});

async function linkWith(ctx: CommandContext, code: string): Promise<Reply> {
  if (!ctx.linking || !ctx.chat) {
    throw new GatewayError(400, "invalid_args", "Linking works from Telegram, Discord or Slack.");
  }
  const outcome = await ctx.linking.link(bareCode(code));
  return reply.text(linkMessage(outcome, ctx), { linked: outcome.ok });
}

/** The code without the quotes or full stop it was pasted with (see `CODE`). */
function bareCode(code: string): string {
  return code.replace(new RegExp(`^${QUOTE}`), "").replace(new RegExp(`${QUOTE}?[.!]?$`), "");
}

/** What the user reads after trying a code, in the syntax of the channel. */
export function linkMessage(
  outcome: LinkOutcome,
  ctx: Pick<CommandContext, "channel" | "links" | "catalogue">,
): string {
  const place = appPlace(ctx.links);
  const prefix = ctx.links.commandPrefix;
  const tip = ctx.catalogue().filter((c) => c.name === "tasks" || c.name === "add")
    .map((c) => usage(c, ctx.channel, prefix)).join(" or ");
  if (outcome.ok) {
    const next = tip ? ` Try ${tip}.` : "";
    return outcome.alreadyLinked
      ? `This account is already linked to you.${next}`
      : `Linked! This ${PLATFORM[ctx.channel]} account now acts as you.${next}`;
  }
  const tries = outcome.triesLeft === undefined ? "" : ` ${triesLeft(outcome.triesLeft)}`;
  switch (outcome.reason) {
    case "invalid_code":
      return `That code is not valid. Check it, or create a new one in ${place}.${tries}`;
    case "expired_code":
      return `That code has expired (codes last 10 minutes). Create a new one in ${place}.${tries}`;
    case "used_code":
      return `That code was already used. Create a new one in ${place}.${tries}`;
    case "already_linked":
      // Unlinked here when this bot offers /unlink, else from the web app.
      return "This account is already linked to another user. " +
        (ctx.catalogue().some((c) => c.name === "unlink")
          ? `Send /${commandWord("unlink", ctx.channel, prefix)} first.`
          : `Unlink it in ${place} first.`);
    case "rate_limited": {
      const minutes = Math.max(1, Math.ceil((outcome.retryAfterSeconds ?? 900) / 60));
      return `Too many wrong codes. Try again in ${minutes} minute${minutes > 1 ? "s" : ""}.`;
    }
  }
}

function triesLeft(n: number): string {
  if (n <= 0) return "That was the last try: linking is locked for 15 minutes.";
  return `${n} ${n === 1 ? "try" : "tries"} left before linking is locked for 15 minutes.`;
}

function helpText(ctx: CommandContext): string {
  const lines = listedOn(ctx.catalogue(), ctx.channel)
    .map((c) => `${usage(c, ctx.channel, ctx.links.commandPrefix)} - ${c.description}`);
  return ["Commands:", ...lines].join("\n");
}
