/** Where the repository is on disk, for scripts that read its files or keep state under it. */

/** The repository's root folder, without a trailing slash. */
export const REPO_ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(
  /\/$/,
  "",
);
