/**
 * `deno task token <email>`: prints an access token for a user of the running local stack, as
 * Supabase Auth would issue after a password sign-in (signed with the local dev key). The user
 * is looked up in the local database, so the token names a real auth.users row.
 */
import { devAccessToken } from "./auth.ts";
import { loadOrCreateDevKeys } from "./keys.ts";
import { stackPortsFromEnv } from "./ports.ts";
import { psqlAt } from "./psql.ts";
import { stackStateDir } from "./paths.ts";
import { runningStack } from "./stack_lock.ts";

const STATE_DIR = stackStateDir();

const email = Deno.args[0];
if (!email || Deno.args.length > 1 || !/^[^\s@']+@[^\s@']+$/.test(email)) {
  console.error("usage: deno task token <email>   (e.g. alice@example.com)");
  Deno.exit(2);
}
const running = await runningStack(STATE_DIR);
const ports = running?.ports ?? stackPortsFromEnv();
let row: string;
try {
  row = await psqlAt(
    STATE_DIR,
    ports.db,
    `select json_build_object('id', id, 'email', email, 'phone', phone,
       'app_metadata', raw_app_meta_data, 'user_metadata', raw_user_meta_data,
       'is_anonymous', is_anonymous)
     from auth.users where lower(email) = lower('${email}')`,
  );
} catch {
  console.error(
    `error: the local database on port ${ports.db} is not reachable; start it with ./deno task dev`,
  );
  Deno.exit(1);
}
if (!row.trim()) {
  console.error(
    `error: no user ${email} in the local database (demo users: alice@, bob@example.com)`,
  );
  Deno.exit(1);
}
const keys = await loadOrCreateDevKeys(STATE_DIR);
const url = Deno.env.get("SUPABASE_URL") ?? running?.url ?? `http://127.0.0.1:${ports.front}`;
console.log(await devAccessToken(keys.signingKey, `${url}/auth/v1`, JSON.parse(row)));
