/**
 * The OpenAPI 3.1 document of the HTTPS channel (`GET /openapi.json`), generated from the
 * registry's zod schemas. It describes every status the channel answers with, the error codes
 * each status carries, and the headers a client acts on (Retry-After, Allow, Idempotent-Replayed).
 */
import type { AnyCommand } from "../../supabase/functions/_shared/command.ts";
import { withoutDialect } from "./catalogue.ts";
import {
  componentRef as ref,
  errorComponents,
  errorResponses,
  errorSchemas,
  type ErrorStatusCode,
  jsonContent,
} from "./openapi_errors.ts";

// deno-fmt-ignore
const COMMAND_ERRORS: ErrorStatusCode[] =
  ["400", "401", "403", "404", "405", "409", "413", "415", "429", "500", "503", "504"];
const HEALTH_ERRORS: ErrorStatusCode[] = ["405", "500", "503"];
const STATIC_ERRORS: ErrorStatusCode[] = ["405"];

/** `add` → `add`, `link-code` → `linkCode`. */
function operationId(name: string): string {
  return name.replace(/-(\w)/g, (_, ch: string) => ch.toUpperCase());
}

function commandOperation(c: AnyCommand) {
  return {
    operationId: operationId(c.name),
    summary: c.description,
    tags: ["commands"],
    description: c.requires === "user"
      ? "Runs as the bearer token's user, under Row Level Security."
      : "Needs no user: call it with a user's access token, the anon (publishable) key, or " +
        "without Authorization.",
    // An empty requirement makes the bearer optional for commands that need no user.
    security: c.requires === "user" ? [{ bearerAuth: [] }] : [{ bearerAuth: [] }, {}],
    parameters: [ref("parameters", "IdempotencyKey")],
    requestBody: {
      required: false,
      description: "The arguments as a JSON object; an empty body means `{}`.",
      content: jsonContent(withoutDialect(c.jsonSchema)),
    },
    responses: {
      "200": {
        description: "Done (or, with Idempotent-Replayed, the stored answer of an earlier call)",
        headers: {
          "Idempotent-Replayed": {
            description: "`true` when this is the stored answer of an earlier call with the " +
              "same Idempotency-Key.",
            schema: { const: "true" },
          },
        },
        content: jsonContent(ref("schemas", "Success")),
      },
      ...errorResponses(COMMAND_ERRORS),
    },
  };
}

function staticOperation(
  operationId: string,
  summary: string,
  description: string,
  schema: unknown,
  errors: readonly ErrorStatusCode[],
) {
  return {
    get: {
      operationId,
      summary,
      tags: ["gateway"],
      security: [],
      responses: {
        "200": { description, content: jsonContent(schema) },
        ...errorResponses(errors),
      },
    },
  };
}

const CATALOGUE_SCHEMA = {
  type: "object",
  required: ["ok", "text", "data"],
  properties: {
    ok: { const: true },
    text: { type: "string" },
    data: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "description", "requires", "args"],
        properties: {
          name: { type: "string" },
          description: { type: "string" },
          requires: { enum: ["user", "none"] },
          args: { type: "object", description: "JSON Schema of the arguments" },
        },
      },
    },
  },
};

const HEALTH_SCHEMA = {
  type: "object",
  required: ["ok", "text", "data"],
  properties: {
    ok: { const: true },
    text: { const: "ready" },
    data: {
      type: "object",
      required: ["database", "channels"],
      properties: {
        database: { const: "reachable" },
        channels: {
          type: "object",
          description: "Which channels are switched on",
          additionalProperties: { type: "boolean" },
        },
      },
    },
  },
};

/** The OpenAPI 3.1 document for a gateway served at `serverUrl` with these HTTPS commands. */
export function openApi(serverUrl: string, commands: readonly AnyCommand[]) {
  const paths: Record<string, unknown> = {};
  for (const c of commands) paths[`/commands/${c.name}`] = { post: commandOperation(c) };
  paths["/commands"] = staticOperation(
    "listCommands",
    "The command catalogue",
    "Every command offered over HTTPS, with the JSON Schema of its arguments",
    CATALOGUE_SCHEMA,
    STATIC_ERRORS,
  );
  paths["/health"] = staticOperation(
    "health",
    "Liveness and readiness (database reachable)",
    "Ready",
    HEALTH_SCHEMA,
    HEALTH_ERRORS,
  );
  paths["/openapi.json"] = staticOperation(
    "openApiDocument",
    "This OpenAPI document",
    "OpenAPI 3.1",
    { type: "object" },
    STATIC_ERRORS,
  );
  return {
    openapi: "3.1.0",
    info: {
      title: "Supabase bot gateway: HTTPS channel",
      version: "1.0.0",
      description: "Run the app's commands as the signed-in user; every call runs under the " +
        "same Row Level Security as the web app.",
    },
    servers: [{ url: `${serverUrl}/functions/v1/gateway` }],
    tags: [
      { name: "commands", description: "The app's commands, one operation each" },
      { name: "gateway", description: "Catalogue, health and this document" },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "A Supabase access token of the signed-in user; for commands that need " +
            "no user, also the anon (publishable) key.",
        },
      },
      parameters: {
        IdempotencyKey: {
          name: "Idempotency-Key",
          in: "header",
          required: false,
          description: "Run at most once: a repeat with the same arguments returns the stored " +
            "answer; a repeat with other arguments gets 409.",
          schema: { type: "string", pattern: "^[\\x21-\\x7e]{1,200}$" },
        },
      },
      schemas: {
        Success: {
          type: "object",
          required: ["ok", "text"],
          properties: {
            ok: { const: true },
            text: { type: "string" },
            data: { description: "The command's structured result (null when it has none)" },
            actions: {
              type: "array",
              description: "Buttons the command offers, in rows: each calls " +
                "POST /commands/{command} with `args` when pressed (absent when there are none)",
              items: {
                type: "array",
                items: {
                  type: "object",
                  required: ["label", "command", "args"],
                  additionalProperties: false,
                  properties: {
                    label: { type: "string" },
                    command: { type: "string" },
                    args: { type: "object" },
                    then: {
                      type: "object",
                      description: "A read-only command to call afterwards (the view to refresh)",
                      required: ["command", "args"],
                      properties: { command: { type: "string" }, args: { type: "object" } },
                    },
                    style: { enum: ["primary", "secondary", "success", "danger"] },
                  },
                },
              },
            },
          },
        },
        ...errorSchemas(),
      },
      responses: errorComponents(),
    },
  };
}
