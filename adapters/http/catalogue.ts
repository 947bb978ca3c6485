/**
 * `GET /commands` (the catalogue) and `GET /openapi.json` (OpenAPI 3.1 of the HTTPS channel),
 * both generated from the registry's zod schemas and computed once.
 */
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import type { Route } from "../../supabase/functions/_shared/router.ts";

/** The catalogue entries of the commands offered over HTTPS. */
export function catalogue(commands: readonly AnyCommand[]) {
  return commands.map((c) => ({
    name: c.name,
    description: c.description,
    requires: c.requires,
    args: withoutDialect(c.jsonSchema),
  }));
}

function withoutDialect(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

const ERROR_STATUSES: Record<string, string> = {
  "400": "Malformed JSON or invalid arguments",
  "401": "Missing, expired or invalid access token",
  "403": "Denied by Row Level Security or policy",
  "404": "Unknown command or nothing found",
  "409": "Same Idempotency-Key still in progress, or reused for another request",
  "413": "Body larger than 64 KiB",
  "429": "Rate limited",
  "503": "Database unavailable; retry later",
};

/** The OpenAPI 3.1 document. */
export function openApi(core: Core, commands: readonly AnyCommand[]) {
  const errorRef = { $ref: "#/components/responses/Error" };
  const paths: Record<string, unknown> = {};
  for (const c of commands) {
    paths[`/commands/${c.name}`] = {
      post: {
        operationId: c.name.replace(/-(\w)/g, (_, ch: string) => ch.toUpperCase()),
        summary: c.description,
        security: [{ bearer: [] }],
        parameters: [{ $ref: "#/components/parameters/IdempotencyKey" }],
        requestBody: {
          required: false,
          content: { "application/json": { schema: withoutDialect(c.jsonSchema) } },
        },
        responses: {
          "200": {
            description: "Done",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Success" } } },
          },
          ...Object.fromEntries(Object.keys(ERROR_STATUSES).map((s) => [s, errorRef])),
        },
      },
    };
  }
  paths["/commands"] = {
    get: {
      operationId: "listCommands",
      summary: "The command catalogue",
      responses: { "200": { description: "Catalogue" } },
    },
  };
  paths["/health"] = {
    get: {
      operationId: "health",
      summary: "Liveness and readiness (database reachable)",
      responses: { "200": { description: "Ready" }, "503": errorRef },
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Supabase bot gateway: HTTPS channel",
      version: "1.0.0",
      description: "Run the app's commands as the signed-in user; every call runs under the " +
        "same Row Level Security as the web app.",
    },
    servers: [{ url: `${core.config.supabaseUrl}/functions/v1/gateway` }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT (Supabase access token)" },
      },
      parameters: {
        IdempotencyKey: {
          name: "Idempotency-Key",
          in: "header",
          required: false,
          description: "Run at most once: a repeat returns the stored answer.",
          schema: { type: "string", minLength: 1, maxLength: 200 },
        },
      },
      schemas: {
        Success: {
          type: "object",
          required: ["ok", "text"],
          properties: { ok: { const: true }, text: { type: "string" }, data: {} },
        },
        Error: {
          type: "object",
          required: ["ok", "error"],
          properties: {
            ok: { const: false },
            error: {
              type: "object",
              required: ["code", "message"],
              properties: { code: { type: "string" }, message: { type: "string" } },
            },
          },
        },
      },
      responses: {
        Error: {
          description: Object.values(ERROR_STATUSES).join("; "),
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        },
      },
    },
  };
}

/** The catalogue and OpenAPI routes. */
export function catalogueRoutes(core: Core): Route[] {
  const commands = core.registry.listFor("http");
  const list = JSON.stringify({
    ok: true,
    text: `${commands.length} commands`,
    data: catalogue(commands),
  });
  const doc = JSON.stringify(openApi(core, commands));
  const cached = (body: string) => () =>
    Promise.resolve(
      new Response(body, {
        headers: {
          "content-type": "application/json; charset=utf-8",
          "cache-control": "max-age=60",
        },
      }),
    );
  return [
    { method: "GET", path: "/commands", handle: cached(list) },
    { method: "GET", path: "/openapi.json", handle: cached(doc) },
  ];
}
