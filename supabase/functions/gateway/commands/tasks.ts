/**
 * The demo app's task commands: /tasks, /add, /done. Each reads and writes through the caller's
 * RLS client (`ctx.db`), so it can only ever see and touch the caller's own rows.
 */
import { z } from "zod";
import { type CommandContext, defineCommand } from "../../_shared/command.ts";
import { unwrap } from "../../_shared/db.ts";
import { GatewayError } from "../../_shared/errors.ts";
import { reply } from "../../_shared/reply.ts";

/** A task row as the commands return it. */
export interface TaskRow {
  id: number;
  title: string;
  done: boolean;
  created_at: string;
  source: string;
}

const COLUMNS = "id, title, done, created_at, source";
const LIST_LIMIT = 50;

export const tasks = defineCommand({
  name: "tasks",
  description: "List your tasks",
  args: z.object({}),
  requires: "user",
  readOnly: true,
  async run(ctx) {
    const rows = unwrap<TaskRow[]>(
      await ctx.db.from("tasks").select(COLUMNS)
        .order("done", { ascending: true })
        .order("created_at", { ascending: false })
        .limit(LIST_LIMIT),
      "tasks",
    );
    if (rows.length === 0) return reply.text("No tasks yet. Add one with /add <title>.", rows);
    const lines = rows.map((t) => `${t.done ? "✓" : "•"} #${t.id} ${t.title}`);
    return reply.text(lines.join("\n"), rows);
  },
});

export const add = defineCommand({
  name: "add",
  description: "Add a task",
  args: z.object({
    title: z.string().trim().min(1).max(500).describe("What to do"),
  }),
  requires: "user",
  publicReply: false,
  async run(ctx, { title }) {
    // The idempotency key makes a redelivered update or a retried request upsert the same row.
    const row = unwrap<TaskRow>(
      await ctx.db.from("tasks")
        .upsert(
          { title, source: ctx.channel, idempotency_key: ctx.idempotencyKey },
          { onConflict: "user_id,idempotency_key", ignoreDuplicates: false },
        )
        .select(COLUMNS)
        .single(),
      "add",
    );
    return reply.text(`Added #${row.id}: ${row.title}`, row);
  },
});

export const done = defineCommand({
  name: "done",
  description: "Mark a task as done",
  args: z.object({
    id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe("The task's number"),
  }),
  requires: "user",
  async run(ctx, { id }) {
    const row = unwrap<TaskRow | null>(
      await ctx.db.from("tasks").update({ done: true }).eq("id", id).select(COLUMNS)
        .maybeSingle(),
      "done",
    );
    // RLS hides other users' rows: "not found" is all a caller learns about them.
    if (!row) throw new GatewayError(404, "not_found", `You have no task #${id}.`);
    return reply.text(`Done: #${row.id} ${row.title}`, row);
  },
  autocomplete: {
    id: (ctx, partial) => openTaskChoices(ctx, partial),
  },
});

/** The caller's open tasks matching what they typed, for autocomplete. */
async function openTaskChoices(ctx: CommandContext, partial: string) {
  let query = ctx.db.from("tasks").select("id, title").eq("done", false)
    .order("created_at", { ascending: false }).limit(25);
  const typed = partial.trim();
  if (/^\d+$/.test(typed)) query = query.eq("id", Number(typed));
  else if (typed) query = query.ilike("title", `%${typed.replace(/[%_\\]/g, "\\$&")}%`);
  const rows = unwrap<{ id: number; title: string }[]>(await query, "autocomplete");
  return rows.map((t) => ({ name: `#${t.id} ${t.title}`.slice(0, 100), value: t.id }));
}
