/**
 * `GET /commands` (the catalogue) and `GET /openapi.json` (OpenAPI 3.1 of the HTTPS channel,
 * built in `openapi.ts`), both generated from the registry's zod schemas on first request, once.
 */
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import type { Route } from "../../supabase/functions/_shared/router.ts";

/** A command's JSON Schema without the `$schema` dialect line (OpenAPI 3.1 sets the dialect). */
export function withoutDialect(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

/** The catalogue entries of the commands offered over HTTPS. */
export function catalogue(commands: readonly AnyCommand[]) {
  return commands.map((c) => ({
    name: c.name,
    description: c.description,
    requires: c.requires,
    args: withoutDialect(c.jsonSchema),
  }));
}

/**
 * The catalogue and OpenAPI routes. Each body is built on its first request, then kept: a cold
 * start serving commands does not derive every command's JSON Schema, nor load `openapi.ts`.
 */
export function catalogueRoutes(core: Core): Route[] {
  const commands = core.registry.listFor("http");
  const cached = (build: () => string | Promise<string>) => {
    let body: Promise<string> | undefined;
    return async () => {
      // A build that failed (a schema the channels cannot serve) fails each request alike.
      body ??= Promise.resolve().then(build).catch((err) => {
        body = undefined;
        throw err;
      });
      return new Response(await body, {
        headers: {
          "content-type": "application/json; charset=utf-8",
          "cache-control": "max-age=60",
        },
      });
    };
  };
  return [
    {
      method: "GET",
      path: "/commands",
      handle: cached(() =>
        JSON.stringify({ ok: true, text: `${commands.length} commands`, data: catalogue(commands) })
      ),
    },
    {
      method: "GET",
      path: "/openapi.json",
      handle: cached(async () => {
        const { openApi } = await import("./openapi.ts");
        return JSON.stringify(openApi(core.config.supabaseUrl, commands));
      }),
    },
  ];
}
