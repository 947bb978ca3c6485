/**
 * What `deno task dev` prints once the local stack is up: where each part is (the gateway, each
 * channel's routes and the sink that records what the gateway sent there, REST, the database),
 * and the first commands to try. Pure, so a test can check that every channel is in it.
 */

/** What the banner names. */
export interface BannerFacts {
  /** The front door, e.g. `http://127.0.0.1:54321`. */
  url: string;
  /** The database URL; its password is masked. */
  dbUrl: string;
  stateDir: string;
  seconds: string;
  reset: boolean;
}

/** The banner's text. */
export function stackBanner(facts: BannerFacts): string {
  const { url, stateDir } = facts;
  const gw = `${url}/functions/v1/gateway`;
  return `
Local Supabase bot gateway is up (${facts.seconds} s)${facts.reset ? ", database reset" : ""}.

  Web page    ${url}/   (chat accounts: sign in as a demo user, link, notifications)
  Gateway     ${gw}
  REST        ${url}/rest/v1
  JWKS        ${url}/auth/v1/.well-known/jwks.json
  Telegram    POST ${gw}/telegram   (outgoing calls: ${url}/__sinks/telegram/sent)
              POST ${gw}/telegram/staging   (a second bot: simulate telegram --bot staging ...)
  Discord     POST ${gw}/discord    (outgoing calls: ${url}/__sinks/discord/calls)
              POST ${gw}/discord/staging    (a second application)
  Slack       POST ${gw}/slack      (outgoing calls: ${url}/__sinks/slack/calls)
              POST ${gw}/slack/staging      (a second app, commands /staging-…)
  Notify      POST ${gw}/notify     (service key; drained every second)
  Database    ${facts.dbUrl.replace(/:[^:@/]+@/, ":***@")} (password: ${stateDir}/db-password)
  State       ${stateDir} (local-only keys and data)

Demo users: alice@example.com, bob@example.com. Get a token (while this runs):

  TOKEN=$(./deno task token alice@example.com)

Add a task as alice, then list hers:

  curl -s -X POST ${gw}/commands/add -H "Authorization: Bearer $TOKEN" \\
       -H 'content-type: application/json' -d '{"title":"Buy milk"}'
  curl -s -X POST ${gw}/commands/tasks -H "Authorization: Bearer $TOKEN"

Ctrl-C stops everything.
`;
}
