/**
 * `GET /commands` (the catalogue) and `GET /openapi.json` (OpenAPI 3.1 of the HTTPS channel,
 * built in `openapi.ts`), both generated from the registry's zod schemas on first request, once.
 */
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import type { Route } from "../../supabase/functions/_shared/router.ts";
import { openApi, withoutDialect } from "./openapi.ts";

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
 * start serving commands does not derive every command's JSON Schema.
 */
export function catalogueRoutes(core: Core): Route[] {
  const commands = core.registry.listFor("http");
  const cached = (build: () => string) => {
    let body: string | undefined;
    return () =>
      Promise.resolve(
        new Response(body ??= build(), {
          headers: {
            "content-type": "application/json; charset=utf-8",
            "cache-control": "max-age=60",
          },
        }),
      );
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
      handle: cached(() => JSON.stringify(openApi(core.config.supabaseUrl, commands))),
    },
  ];
}
