/**
 * Row counts of everything a request could write, read between cases through one long-lived
 * psql session (a process per query would cost more than the cases themselves): tasks (all, and
 * done), linked chat accounts, link codes and failed link attempts, the delivery ledger (all, and
 * still pending), and auth users.
 */

/** One snapshot; every field is a row count. */
export type Counts = Record<(typeof FIELDS)[number], number>;

const FIELDS = [
  "tasks",
  "tasks_done",
  "chat_identities",
  "link_codes",
  "link_codes_used",
  "link_attempts",
  "deliveries",
  "deliveries_pending",
  "auth_users",
] as const;

const SNAPSHOT = `select concat_ws(' ',
  (select count(*) from public.tasks),
  (select count(*) from public.tasks where done),
  (select count(*) from public.chat_identities),
  (select count(*) from gateway_private.link_codes),
  (select count(*) from gateway_private.link_codes where used_at is not null),
  (select count(*) from gateway_private.link_attempts),
  (select count(*) from gateway_private.deliveries),
  (select count(*) from gateway_private.deliveries where state = 'pending'),
  (select count(*) from auth.users));`;

const END = "__fuzz_end__";

/** A psql session on the stack's database. */
export interface CountsSession {
  counts(): Promise<Counts>;
  /** Runs SQL and returns its `-At` output. */
  query(sql: string): Promise<string>;
  close(): Promise<void>;
}

/** Opens the session as the local superuser (the password is in the state folder). */
export async function openCounts(stateDir: string, port: number): Promise<CountsSession> {
  const password = (await Deno.readTextFile(`${stateDir}/db-password`)).trim();
  const pgBin = Deno.env.get("PG_BIN")?.trim();
  const child = new Deno.Command(pgBin ? `${pgBin}/psql` : "psql", {
    args: ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-X", "-q"]
      .concat(["-At", "-v", "ON_ERROR_STOP=1"]),
    env: { PGPASSWORD: password, PGCONNECT_TIMEOUT: "5" },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let queue = Promise.resolve();

  const readUntilEnd = async (): Promise<string> => {
    for (;;) {
      const at = buffer.indexOf(`${END}\n`);
      if (at !== -1) {
        const out = buffer.slice(0, at);
        buffer = buffer.slice(at + END.length + 1);
        return out.replace(/\n$/, "");
      }
      const { value, done } = await lines.read();
      if (done) throw new Error("psql ended unexpectedly");
      buffer += value;
    }
  };
  const query = (sql: string): Promise<string> => {
    const run = queue.then(async () => {
      const statement = sql.trim().endsWith(";") ? sql : `${sql};`;
      await writer.write(new TextEncoder().encode(`${statement}\n\\echo ${END}\n`));
      return await readUntilEnd();
    });
    queue = run.then(() => {}, () => {});
    return run;
  };
  return {
    query,
    async counts() {
      const values = (await query(SNAPSHOT)).trim().split(" ").map(Number);
      return Object.fromEntries(FIELDS.map((f, i) => [f, values[i]])) as Counts;
    },
    async close() {
      await writer.close().catch(() => {});
      await child.status;
    },
  };
}
