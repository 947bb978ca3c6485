/**
 * `/notifications [on|off]` on the chat channels: whether the app's notifications (see
 * `gateway_notify`) reach this chat account. It changes `chat_identities.notify` of the calling
 * account through the caller's own RLS client, the way the web app's settings page would: the
 * owner's update policy and column grant allow exactly that, and nothing else.
 */
import { z } from "zod";
import { defineCommand } from "../../_shared/command.ts";
import { unwrap } from "../../_shared/db.ts";
import { type Reply, reply } from "../../_shared/reply.ts";
import { example, PLATFORM } from "../../_shared/wording.ts";

export const notifications = defineCommand({
  name: "notifications",
  description: "Turn the app's notifications to this account on or off",
  args: z.object({
    state: z.enum(["on", "off"]).optional().describe("on or off"),
  }),
  requires: "user",
  databaseOnly: true,
  channels: ["telegram", "discord", "slack"],
  async run(ctx, { state }): Promise<Reply> {
    const chat = ctx.chat!;
    const account = ctx.db.from("chat_identities");
    const rows = unwrap(
      await (state === undefined
        ? account.select("notify")
        : account.update({ notify: state === "on" }).select("notify"))
        .eq("provider", chat.provider)
        .eq("external_id", chat.externalId),
      "notifications",
    ) as { notify: boolean }[];
    const where = `this ${PLATFORM[ctx.channel]} account`;
    if (!rows.length) return reply.text(`Notifications: ${where} is not linked any more.`);
    const on = rows[0].notify;
    const syntax = (value: string): string =>
      example(notifications, ctx.channel, "state", value, ctx.links.commandPrefix) ?? value;
    const change = on ? `${syntax("off")} to stop them` : `${syntax("on")} to get them`;
    const text = state === undefined
      ? `Notifications to ${where} are ${on ? "on" : "off"}. Send ${change}.`
      : `Notifications to ${where} are now ${on ? "on" : "off"}. Send ${change}.`;
    return reply.text(text, { notify: on });
  },
});
