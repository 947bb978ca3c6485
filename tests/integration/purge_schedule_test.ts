/**
 * The purge-schedule migration on a server without pg_cron (the local stack, Debian's
 * PostgreSQL): it was applied with the others, created nothing, and running it again succeeds
 * with a NOTICE that says the purges are not scheduled.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { integration, psql, stackSetting } from "../fixtures.ts";

const MIGRATION = `${REPO_ROOT}/supabase/migrations/20261202000100_purge_schedule.sql`;

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

Deno.test("purge schedule without pg_cron", integration, async (t) => {
  await t.step("this server has no pg_cron", async () => {
    assertEquals(
      await psql("select count(*) from pg_available_extensions where name = 'pg_cron'"),
      "0",
    );
  });
  await t.step("the migration was applied and created nothing", async () => {
    assertEquals(
      await psql(
        "select name from supabase_migrations.schema_migrations where version = '20261202000100'",
      ),
      "purge_schedule",
    );
    assertEquals(await psql("select count(*) from pg_extension where extname = 'pg_cron'"), "0");
    assertEquals(await psql("select count(*) from pg_namespace where nspname = 'cron'"), "0");
  });
  await t.step("running it again succeeds and says why nothing is scheduled", async () => {
    const { code, stderr } = await psqlFile(MIGRATION);
    assertEquals(code, 0, stderr);
    assertMatch(stderr, /NOTICE: {2}pg_cron is not available on this server: purges not sched/);
    assert(!/ERROR/.test(stderr), stderr);
  });
});
