/**
 * Account commands: /whoami, /help, /start, /link, /unlink, and the HTTPS-only `link-code` that
 * creates a code for the signed-in user and returns the Telegram deep link.
 */
import { z } from "zod";
import {
  type CommandContext,
  defineCommand,
  type LinkOutcome,
  listedOn,
} from "../../_shared/command.ts";
import { howToLink } from "../../_shared/wording.ts";
import { unwrap } from "../../_shared/db.ts";
import { GatewayError } from "../../_shared/errors.ts";
import { type Reply, reply } from "../../_shared/reply.ts";

const CODE = z.string().trim().min(4).max(32).regex(/^[A-Za-z0-9 -]+$/, "letters and digits only");

export const whoami = defineCommand({
  name: "whoami",
  description: "Show which account you are signed in as",
  args: z.object({}),
  requires: "user",
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
  readOnly: true,
  run(ctx) {
    return Promise.resolve(reply.text(helpText(ctx)));
  },
});

export const start = defineCommand({
  name: "start",
  description: "Start the bot, or link your account with a code",
  args: z.object({ code: CODE.optional().describe("Link code from the web app") }),
  requires: "none",
  channels: ["telegram"],
  hidden: true,
  async run(ctx, { code }) {
    if (code) return await linkWith(ctx, code);
    const intro = ctx.principal
      ? `Welcome back, ${ctx.principal.claims.email || "friend"}.`
      : "Welcome! This account is not linked yet.\n" + howToLink(ctx.channel);
    return reply.text(`${intro}\n\n${helpText(ctx)}`);
  },
});

export const link = defineCommand({
  name: "link",
  description: "Link this chat account to your web account",
  args: z.object({ code: CODE.describe("The code the web app shows you") }),
  requires: "none",
  channels: ["telegram", "discord"],
  run: (ctx, { code }) => linkWith(ctx, code),
});

export const unlink = defineCommand({
  name: "unlink",
  description: "Unlink this chat account from your web account",
  args: z.object({}),
  requires: "user",
  channels: ["telegram", "discord"],
  async run(ctx) {
    const removed = await ctx.linking!.unlink();
    return reply.text(
      removed ? "Unlinked. This chat account can no longer act for you." : "Nothing to unlink.",
    );
  },
});

export const linkCode = defineCommand({
  name: "link-code",
  description: "Create a one-time code to link a chat account",
  args: z.object({}),
  requires: "user",
  channels: ["http"],
  async run(ctx) {
    // Created with the caller's own session, exactly as the web app would.
    const created = unwrap<{ code: string; expires_at: string }>(
      await ctx.db.rpc("create_link_code"),
      "create_link_code",
    );
    const bot = ctx.links.telegramBotUsername;
    const telegram = bot ? `https://t.me/${bot}?start=${created.code}` : null;
    const lines = [`Your link code: ${created.code} (valid until ${created.expires_at}).`];
    if (telegram) lines.push(`Telegram: open ${telegram}`);
    lines.push(`Or send /link ${created.code} to the bot.`);
    return reply.text(lines.join("\n"), {
      code: created.code,
      expires_at: created.expires_at,
      links: { telegram },
    });
  },
});

async function linkWith(ctx: CommandContext, code: string): Promise<Reply> {
  if (!ctx.linking || !ctx.chat) {
    throw new GatewayError(400, "invalid_args", "Linking works from Telegram or Discord.");
  }
  const outcome = await ctx.linking.link(code);
  return reply.text(linkMessage(outcome), { linked: outcome.ok });
}

/** What the user reads after trying a code. */
export function linkMessage(outcome: LinkOutcome): string {
  if (outcome.ok) {
    return outcome.alreadyLinked
      ? "This account is already linked to you. Try /tasks."
      : "Linked! This chat account now acts as you. Try /tasks or /add <title>.";
  }
  switch (outcome.reason) {
    case "invalid_code":
      return "That code is not valid. Check it, or create a new one in the web app.";
    case "expired_code":
      return "That code has expired (codes last 10 minutes). Create a new one in the web app.";
    case "used_code":
      return "That code was already used. Create a new one in the web app.";
    case "already_linked":
      return "This chat account is already linked to another user. Send /unlink first.";
    case "rate_limited": {
      const minutes = Math.max(1, Math.ceil((outcome.retryAfterSeconds ?? 900) / 60));
      return `Too many wrong codes. Try again in ${minutes} minute${minutes > 1 ? "s" : ""}.`;
    }
  }
}

function helpText(ctx: CommandContext): string {
  const commands = listedOn(ctx.catalogue(), ctx.channel);
  const lines = commands.map((c) => {
    const args = Object.entries(c.jsonSchema.properties).map(([name]) =>
      (c.jsonSchema.required ?? []).includes(name) ? ` <${name}>` : ` [${name}]`
    ).join("");
    return `/${c.name}${args} - ${c.description}`;
  });
  return ["Commands:", ...lines].join("\n");
}
