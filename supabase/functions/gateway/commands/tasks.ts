/**
 * The demo app's task commands: /tasks, /add, /done. Each reads and writes through the caller's
 * RLS client (`ctx.db`), so it can only ever see and touch the caller's own rows.
 */
import { z } from "zod";
import { type CommandContext, defineCommand } from "../../_shared/command.ts";
import { unwrap } from "../../_shared/db.ts";
import { GatewayError } from "../../_shared/errors.ts";
import { type Reply, reply } from "../../_shared/reply.ts";
import { type Action, actionOrNull, rows as buttonRows } from "../../_shared/actions.ts";
import { example } from "../../_shared/wording.ts";

/** A task row as the commands return it. */
export interface TaskRow {
  id: number;
  title: string;
  done: boolean;
  created_at: string;
  source: string;
}

const COLUMNS = "id, title, done, created_at, source";
/** Tasks per page: a page of long titles still fits one Discord message. */
export const PAGE_SIZE = 15;

export const tasks = defineCommand({
  name: "tasks",
  description: "List your tasks",
  args: z.object({
    page: z.number().int().min(1).max(10_000).optional()
      .describe("The page number").meta({ examples: [2] }),
  }),
  requires: "user",
  databaseOnly: true,
  readOnly: true,
  run: (ctx, { page = 1 }): Promise<Reply> => taskPage(ctx, page),
});

/**
 * One page of the caller's tasks, with a "Done" button per open task shown (which then shows
 * this page again, refreshed) and "More" when there are more pages.
 */
async function taskPage(ctx: CommandContext, page: number): Promise<Reply> {
  const from = (page - 1) * PAGE_SIZE;
  const result = await ctx.db.from("tasks").select(COLUMNS, { count: "exact" })
    .order("done", { ascending: true })
    .order("created_at", { ascending: false })
    .order("id", { ascending: false })
    .range(from, from + PAGE_SIZE - 1);
  // Past the last page PostgREST answers 416: an empty page, whose total is counted apart.
  let rows: TaskRow[] = [];
  let total: number;
  if (result.status === 416) {
    const counted = await ctx.db.from("tasks").select("id", { count: "exact", head: true });
    unwrap(counted, "tasks");
    total = counted.count ?? 0;
  } else {
    rows = unwrap<TaskRow[]>(result, "tasks");
    total = result.count ?? rows.length;
  }
  const addCommand = ctx.catalogue().find((c) => c.name === "add");
  if (total === 0) {
    return reply.text(
      `No tasks yet.${
        addCommand
          ? ` Add one with ${
            example(addCommand, ctx.channel, "title", undefined, ctx.links.commandPrefix)
          }.`
          : ""
      }`,
      rows,
    );
  }
  if (rows.length === 0) {
    return reply.text(`There is no page ${page}: you have ${total} tasks.`, rows);
  }
  const lines = rows.map((t) => `${t.done ? "✓" : "•"} #${t.id} ${t.title}`);
  const left = total - from - rows.length;
  // Buttons are built from the rows: one whose value the schema refuses (a row written outside
  // the app, an id past what a button can carry) is left out, never the reply.
  const skipped = buttonSkipped(ctx);
  // "More" only when the schema takes the next page. Past its last one there is nothing to press,
  // as designed: not worth a log line.
  const more = left > 0
    ? actionOrNull(tasks, { page: page + 1 }, "More", { style: "primary" })
    : null;
  if (left > 0) {
    lines.push(
      more
        ? `… and ${left} more: ${
          example(tasks, ctx.channel, "page", page + 1, ctx.links.commandPrefix)
        }`
        : `… and ${left} more`,
    );
  }
  const buttons = buttonRows(
    rows.filter((t) => !t.done).map((t) =>
      actionOrNull(done, { id: t.id }, `Done #${t.id}`, { then: [tasks, { page }], skipped })
    ).filter((a): a is Action => a !== null),
  );
  if (more) buttons.push([more]);
  return {
    ...reply.withActions(reply.text(lines.join("\n"), rows), buttons),
    replaces: true,
  };
}

export const add = defineCommand({
  name: "add",
  description: "Add a task",
  args: z.object({
    title: z.string().trim().min(1).max(500).describe("The task title")
      .meta({ examples: ["Buy milk"] }),
  }),
  requires: "user",
  databaseOnly: true,
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

const taskId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe("The task number")
  .meta({ examples: [3] });

export const done = defineCommand({
  name: "done",
  description: "Mark a task as done",
  args: z.object({ id: taskId }),
  requires: "user",
  databaseOnly: true,
  async run(ctx, { id }): Promise<Reply> {
    const row = await setDone(ctx, id, true);
    return {
      ...reply.withActions(
        reply.text(`Done: #${row.id} ${row.title}`, row),
        oneButton(actionOrNull(undo, { id: row.id }, "Undo", { skipped: buttonSkipped(ctx) })),
      ),
      replaces: true,
    };
  },
  autocomplete: {
    id: (ctx, partial) => openTaskChoices(ctx, partial),
  },
});

export const undo = defineCommand({
  name: "undo",
  description: "Mark a done task as not done",
  args: z.object({ id: taskId }),
  requires: "user",
  databaseOnly: true,
  async run(ctx, { id }): Promise<Reply> {
    const row = await setDone(ctx, id, false);
    return {
      ...reply.withActions(
        reply.text(`Not done: #${row.id} ${row.title}`, row),
        oneButton(actionOrNull(done, { id: row.id }, "Done", { skipped: buttonSkipped(ctx) })),
      ),
      replaces: true,
    };
  },
});

/** Logs a button left out: which command, and why (no values: they are the user's data). */
function buttonSkipped(ctx: CommandContext): (reason: string) => void {
  return (reason) => ctx.log.warn("button left out", { reason });
}

function oneButton(button: Action | null): Action[][] {
  return button ? [[button]] : [];
}

async function setDone(ctx: CommandContext, id: number, value: boolean): Promise<TaskRow> {
  const row = unwrap<TaskRow | null>(
    await ctx.db.from("tasks").update({ done: value }).eq("id", id).select(COLUMNS).maybeSingle(),
    value ? "done" : "undo",
  );
  // RLS hides other users' rows: "not found" is all a caller learns about them.
  if (!row) throw new GatewayError(404, "not_found", `You have no task #${id}.`);
  return row;
}

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
