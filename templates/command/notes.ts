/**
 * TEMPLATE — a command of your own, on Telegram, Discord and HTTPS at once. Copy it to
 * `supabase/functions/gateway/commands/notes.ts` (see "Use it in your app" in docs/adopt.md), with
 * its migration (`notes.sql`) and its test (`notes_test.ts`), and add `note` and `notes` to the
 * list in `commands/mod.ts`. Every read and write goes through `ctx.db`, the caller's own RLS
 * client: the `notes` table's policies decide what a caller may touch, exactly as for the web app.
 */
import { z } from "zod";
import { defineCommand } from "../../_shared/command.ts";
import { unwrap } from "../../_shared/db.ts";
import { reply } from "../../_shared/reply.ts";

/** A note as the commands return it. */
interface NoteRow {
  id: number;
  body: string;
  created_at: string;
}

export const note = defineCommand({
  name: "note",
  description: "Save a note",
  args: z.object({
    // The description names the argument in help and in errors ("The note text is missing, e.g.
    // /note Call the plumber"); the example shows a valid value.
    text: z.string().trim().min(1).max(1000).describe("The note text")
      .meta({ examples: ["Call the plumber"] }),
  }),
  requires: "user",
  // Only ctx.db's database calls (from, rpc): it may run before the rest of supabase-js has
  // loaded after a cold start. Drop this line if the command uses storage, functions or auth.
  databaseOnly: true,
  async run(ctx, { text }) {
    // The delivery's idempotency key (Telegram update, Discord interaction, Idempotency-Key):
    // a retried delivery upserts the same row, thanks to unique (user_id, idempotency_key).
    const row = unwrap<NoteRow>(
      await ctx.db.from("notes")
        .upsert({ body: text, idempotency_key: ctx.idempotencyKey }, {
          onConflict: "user_id,idempotency_key",
        })
        .select("id, body, created_at")
        .single(),
      "note",
    );
    return reply.text(`Saved note #${row.id}.`, row);
  },
});

/** Notes listed at most. */
const SHOWN = 20;

export const notes = defineCommand({
  name: "notes",
  description: "List your notes",
  args: z.object({}),
  requires: "user",
  databaseOnly: true,
  readOnly: true, // has no effects: chat deliveries of it skip the delivery ledger
  async run(ctx) {
    const result = await ctx.db.from("notes").select("id, body, created_at", { count: "exact" })
      .order("created_at", { ascending: false }).limit(SHOWN);
    const rows = unwrap<NoteRow[]>(result, "notes");
    if (rows.length === 0) return reply.text("No notes yet.", rows);
    const lines = rows.map((n) => `#${n.id} ${n.body}`);
    // Say what was left out (see /tasks in commands/tasks.ts for paging with a "More" button).
    const left = (result.count ?? rows.length) - rows.length;
    if (left > 0) lines.push(`… and ${left} older not shown`);
    return reply.text(lines.join("\n"), rows);
  },
});
