/**
 * Running one SQL statement against a local stack's database from another process (the token
 * task, the tests): psql over TCP with the stack's generated password, output unaligned.
 */

/** Runs `sql` as the local superuser and returns psql's `-At` output. Throws on any error. */
export async function psqlAt(stateDir: string, port: number, sql: string): Promise<string> {
  const password = (await Deno.readTextFile(`${stateDir}/db-password`)).trim();
  const pgBin = Deno.env.get("PG_BIN")?.trim();
  const out = await new Deno.Command(pgBin ? `${pgBin}/psql` : "psql", {
    args: [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-U",
      "postgres",
      "-d",
      "postgres",
      "-X",
      "-q",
      "-At",
      "-v",
      "ON_ERROR_STOP=1",
    ],
    env: { PGPASSWORD: password, PGCONNECT_TIMEOUT: "5" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = out.stdin.getWriter();
  await writer.write(new TextEncoder().encode(sql));
  await writer.close();
  const { code, stdout, stderr } = await out.output();
  if (code !== 0) throw new Error(`psql failed: ${new TextDecoder().decode(stderr).trim()}`);
  return new TextDecoder().decode(stdout).replace(/\n$/, "");
}
