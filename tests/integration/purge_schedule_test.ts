/**
 * The purge-schedule migration, both ways it can go.
 *
 * On the local stack pg_cron cannot run: Debian's PostgreSQL has no pg_cron unless the
 * `postgresql-<v>-cron` package is installed, and even then the stack does not preload it. The
 * migration was applied with the others, created nothing, and running it again succeeds with a
 * NOTICE saying why nothing was scheduled.
 *
 * Where pg_cron is installed on this machine, a PostgreSQL of its own is started with pg_cron
 * preloaded, as hosted Supabase runs it: the migration enables the extension and schedules both
 * purges, and running it again replaces the jobs instead of adding more. (Ignored elsewhere.)
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { freePort } from "../../dev/ports.ts";
import { startPostgres } from "../../dev/postgres.ts";
import { integration, psql, stackSetting } from "../fixtures.ts";

const MIGRATION = `${REPO_ROOT}/supabase/migrations/20261202000100_purge_schedule.sql`;
const VERSION = "20261202000100";
const JOBS = [
  "gateway-purge-deliveries|17 3 * * *|select public.gateway_purge_deliveries()",
  "gateway-purge-link-state|47 3 * * *|select public.gateway_purge_link_state()",
].join("\n");

/** Is pg_cron installed for the machine's PostgreSQL (the one the test stack runs)? */
const cronInstalled = Deno.env.get("STACK_STATE_DIR") !== undefined &&
  (await psql("select count(*) from pg_available_extensions where name = 'pg_cron'")) === "1";

/** Runs a SQL file as the superuser; returns psql's exit code and stderr (where NOTICEs go). */
async function psqlFile(file: string): Promise<{ code: number; stderr: string }> {
  const stateDir = stackSetting("STACK_STATE_DIR");
  const password = (await Deno.readTextFile(`${stateDir}/db-password`)).trim();
  const pgBin = Deno.env.get("PG_BIN")?.trim();
  const args = ["-h", "127.0.0.1", "-p", stackSetting("STACK_DB_PORT"), "-U", "postgres"];
  const out = await new Deno.Command(pgBin ? `${pgBin}/psql` : "psql", {
    args: [...args, "-d", "postgres", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-1", "-f", file],
    env: { PGPASSWORD: password, PGCONNECT_TIMEOUT: "5" },
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("purge schedule on the local stack: nothing, with a NOTICE", integration, async (t) => {
  await t.step("the migration was applied and created nothing", async () => {
    assertEquals(
      await psql(
        `select name from supabase_migrations.schema_migrations where version = '${VERSION}'`,
      ),
      "purge_schedule",
    );
    assertEquals(await psql("select count(*) from pg_extension where extname = 'pg_cron'"), "0");
    assertEquals(await psql("select count(*) from pg_namespace where nspname = 'cron'"), "0");
  });
  await t.step("running it again succeeds and says why nothing is scheduled", async () => {
    const { code, stderr } = await psqlFile(MIGRATION);
    assertEquals(code, 0, stderr);
    assertMatch(
      stderr,
      cronInstalled
        ? /NOTICE: {2}pg_cron is available but could not be enabled \(.*\): purges not scheduled/
        : /NOTICE: {2}pg_cron is not available on this server: purges not scheduled/,
    );
    assert(!/ERROR/.test(stderr), stderr);
    assertEquals(await psql("select count(*) from pg_extension where extname = 'pg_cron'"), "0");
  });
});

Deno.test({
  name: "purge schedule where pg_cron is preloaded (as on hosted Supabase)",
  ignore: !cronInstalled,
  ...integration,
  async fn(t) {
    const stateDir = `${REPO_ROOT}/.local/test-cron-${crypto.randomUUID().slice(0, 8)}`;
    const pg = await startPostgres({
      stateDir,
      port: freePort(),
      reset: true,
      settings: { shared_preload_libraries: "pg_cron", "cron.database_name": "postgres" },
    });
    const jobs = () => pg.psql("select jobname, schedule, command from cron.job order by jobname");
    try {
      await t.step("the migrations enabled pg_cron and scheduled both purges", async () => {
        assertEquals(await jobs(), JOBS);
        assertEquals(await pg.psql("select distinct username from cron.job"), "postgres");
      });
      await t.step("running the migration again replaces the jobs", async () => {
        const ids = await pg.psql("select jobid from cron.job order by jobname");
        await pg.psql(`\\i '${MIGRATION}'`);
        assertEquals(await jobs(), JOBS);
        assertEquals(await pg.psql("select jobid from cron.job order by jobname"), ids);
      });
      await t.step("the scheduled commands run", async () => {
        for (const command of JOBS.split("\n").map((line) => line.split("|")[2])) {
          assertMatch(await pg.psql(command), /^\d+$/);
        }
      });
    } finally {
      await pg.stop();
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    }
  },
});
