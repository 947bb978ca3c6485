/**
 * Local stack ports: defaults, environment overrides and a "is it free?" check.
 *
 * The stack listens on loopback only:
 * - front door (Supabase-style URL): `STACK_PORT`, default 54321
 * - PostgreSQL: `STACK_DB_PORT`, default 54322
 * - PostgREST: `STACK_REST_PORT`, default 54323
 *
 * @module
 */

/** The three ports of the local stack. */
export interface StackPorts {
  /** Front door (`/rest/v1`, `/functions/v1/...`, `/auth/v1/...`). */
  front: number;
  /** PostgreSQL server. */
  db: number;
  /** PostgREST server. */
  rest: number;
}

/** Environment variable that overrides each port. */
export const STACK_PORT_ENV: Readonly<Record<keyof StackPorts, string>> = {
  front: "STACK_PORT",
  db: "STACK_DB_PORT",
  rest: "STACK_REST_PORT",
};

/** Default of each port when its variable is unset. */
export const STACK_PORT_DEFAULTS: Readonly<StackPorts> = { front: 54321, db: 54322, rest: 54323 };

/** Anything with `get(name)`, such as `Deno.env`. */
export interface EnvLike {
  get(name: string): string | undefined;
}

/**
 * Reads the stack ports from the environment (unset or empty means the default), then adds
 * `offset` to each (tests use an offset to run beside a developer's stack).
 * Throws an error naming the variable when a value is not a port number.
 */
export function stackPortsFromEnv(env: EnvLike = Deno.env, offset = 0): StackPorts {
  const pick = (key: keyof StackPorts): number => {
    const name = STACK_PORT_ENV[key];
    const raw = env.get(name)?.trim();
    const base = raw ? Number(raw) : STACK_PORT_DEFAULTS[key];
    const port = base + offset;
    if (!Number.isInteger(base) || port < 1 || port > 65535) {
      throw new Error(`${name} must be a TCP port number (1-65535), got ${JSON.stringify(raw)}`);
    }
    return port;
  };
  return { front: pick("front"), db: pick("db"), rest: pick("rest") };
}

/**
 * Throws a one-line error when something already listens on 127.0.0.1:`port`; the message
 * names `envName`, the variable to set for another port.
 */
export function assertPortFree(port: number, envName: string): void {
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ hostname: "127.0.0.1", port });
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      throw new Error(
        `port ${port} on 127.0.0.1 is already in use (another program, or a local stack with another ` +
          `STACK_STATE_DIR): stop it or set ` +
          `${envName} to a free port`,
      );
    }
    throw err;
  }
  listener.close();
}

/** A port the kernel considers free right now (for test and benchmark stacks). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
