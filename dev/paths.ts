/** Where the repository is on disk, for scripts that read its files or keep state under it. */

/** The repository's root folder, without a trailing slash. */
export const REPO_ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(
  /\/$/,
  "",
);

/** The local stack's state folder: `STACK_STATE_DIR`, else `.local/dev` under the repository. */
export function stackStateDir(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): string {
  return env.STACK_STATE_DIR?.trim() || `${REPO_ROOT}/.local/dev`;
}
