/**
 * Test commands that write like `/add` once something lets them: `slow-add` after a pause
 * (`SLOW_COMMAND_MS` in the environment, default none), so a gateway process can be killed while
 * it runs; `addAfter` for a command that waits on whatever a test holds (a gate it opens).
 */
import { z } from "zod";
import { defineCommand } from "../../supabase/functions/_shared/command.ts";
import { unwrap } from "../../supabase/functions/_shared/db.ts";
import { reply } from "../../supabase/functions/_shared/reply.ts";

/** A command `name` that adds a task titled `title` after `wait()` resolves. */
export function addAfter(name: string, description: string, wait: () => Promise<unknown>) {
  return defineCommand({
    name,
    description,
    args: z.object({ title: z.string().min(1).describe("What to do") }),
    requires: "user",
    async run(ctx, { title }) {
      await wait();
      const row = unwrap<{ id: number }>(
        await ctx.db.from("tasks").upsert(
          { title, source: ctx.channel, idempotency_key: ctx.idempotencyKey },
          { onConflict: "user_id,idempotency_key" },
        ).select("id").single(),
      );
      return reply.text(`Added #${row.id}: ${title}`);
    },
  });
}

export const slowAdd = addAfter("slow-add", "Add a task after a pause (tests)", () => {
  const ms = Number(Deno.env.get("SLOW_COMMAND_MS") ?? 0);
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
});
