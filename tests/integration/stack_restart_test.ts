/**
 * Restarting the local stack on its state folder changes no privilege: the platform SQL runs at
 * every start, and once granted everything in `public` to the API roles on each run, undoing the
 * migrations' revokes (after a restart `anon` could claim every user's notifications). The
 * privileges of every table, column and function the migrations made are compared before and
 * after a restart.
 */
import { assert, assertEquals } from "../assert.ts";
import { startPostgres } from "../../dev/postgres.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { freePort } from "../../dev/ports.ts";

/** Every ACL in the gateway's schemas, one line each (functions, tables, columns). */
const PRIVILEGES = `
  select string_agg(line, E'\\n' order by line) from (
    select 'function ' || p.oid::regprocedure || ' ' || coalesce(p.proacl::text, 'default') as line
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('public', 'gateway_private')
    union all
    select 'table ' || c.oid::regclass || ' ' || coalesce(c.relacl::text, 'default')
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname in ('public', 'gateway_private') and c.relkind in ('r', 'v', 'S')
    union all
    select 'column ' || a.attrelid::regclass || '.' || a.attname || ' ' || a.attacl::text
      from pg_attribute a join pg_class c on c.oid = a.attrelid
      join pg_namespace n on n.oid = c.relnamespace
      where n.nspname in ('public', 'gateway_private') and a.attacl is not null
  ) acls`;

Deno.test("a restart of the local database changes no privilege", async () => {
  const stateDir = `${REPO_ROOT}/.local/test-restart-${crypto.randomUUID().slice(0, 8)}`;
  const port = freePort();
  let pg = await startPostgres({ stateDir, port, reset: true });
  try {
    const before = await pg.psql(PRIVILEGES);
    const anonMay = (fn: string) =>
      pg.psql(`select has_function_privilege('anon', '${fn}', 'execute')`);
    assertEquals(await anonMay("public.gateway_notify(uuid,text,jsonb,text,text)"), "f");
    await pg.stop();
    pg = await startPostgres({ stateDir, port });
    assert(!pg.fresh, "the same database, started again");
    assertEquals(await anonMay("public.gateway_notify(uuid,text,jsonb,text,text)"), "f");
    assertEquals(
      await pg.psql(
        `select has_column_privilege('authenticated', 'public.chat_identities', 'username', 'update')`,
      ),
      "f",
    );
    assertEquals(await pg.psql(PRIVILEGES), before);
  } finally {
    await pg.stop();
    await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
});
