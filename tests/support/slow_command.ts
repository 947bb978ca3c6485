/**
 * A test command that writes like `/add` after a pause (`SLOW_COMMAND_MS` in the environment,
 * default none), so a gateway process can be killed while it runs.
 */
import { z } from "zod";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { unwrap } from "../../supabase/functions/_shared/db.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";

export const slowAdd = defineCommand({
  name: "slow-add",
  description: "Add a task after a pause (tests)",
  args: z.object({ title: z.string().min(1).describe("What to do") }),
  requires: "user",
  async run(ctx, { title }) {
    const ms = Number(Deno.env.get("SLOW_COMMAND_MS") ?? 0);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    const row = unwrap<{ id: number }>(
      await ctx.db.from("tasks").upsert(
        { title, source: ctx.channel, idempotency_key: ctx.idempotencyKey },
        { onConflict: "user_id,idempotency_key" },
      ).select("id").single(),
    );
    return reply.text(`Added #${row.id}: ${title}`);
  },
});
