/**
 * `POST /commands/{name}`: runs a command as the bearer-token user. The JSON body is the
 * arguments; an optional `Idempotency-Key` makes the call run at most once (a repeat replays the
 * stored answer, a concurrent repeat gets 409).
 */
import { parseJson, readBody } from "../../supabase/functions/_shared/body.ts";
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { parseArgs } from "../../supabase/functions/_shared/execute.ts";
import { errorBody } from "../../supabase/functions/_shared/errors.ts";
import { json } from "../../supabase/functions/_shared/http.ts";
import { fingerprint, once } from "../../supabase/functions/_shared/ledger.ts";
import type { Route } from "../../supabase/functions/_shared/router.ts";
import { offeredOn } from "../../supabase/functions/_shared/command.ts";

/** A stored HTTPS answer, as the ledger keeps it for replays. */
interface StoredAnswer {
  status: number;
  body: unknown;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** Reads `Authorization: Bearer <token>`, or throws 401. */
export function bearerToken(req: Request): string {
  const header = req.headers.get("authorization");
  if (!header) {
    throw new GatewayError(401, "missing_token", "Send Authorization: Bearer <access token>.");
  }
  const match = /^Bearer\s+([A-Za-z0-9_\-.]+)$/i.exec(header.trim());
  if (!match) {
    throw new GatewayError(401, "invalid_token", "The Authorization header is not a bearer token.");
  }
  return match[1];
}

/** The route that runs commands. */
export function commandRoute(core: Core): Route {
  return {
    method: "POST",
    path: "/commands/:name",
    async handle(req, params, record) {
      record.channel = "http";
      const principal = await core.principalForToken(bearerToken(req));
      record.user_id = principal.userId;
      core.limit(`user:${principal.userId}`);
      const command = core.registry.get(params.name);
      if (!command || !offeredOn(command, "http")) {
        throw new GatewayError(404, "unknown_command", `There is no command '${params.name}'.`);
      }
      record.command = command.name;
      const type = req.headers.get("content-type");
      if (type && !/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
        throw new GatewayError(
          415,
          "unsupported_media_type",
          "Send the arguments as JSON, with Content-Type: application/json.",
        );
      }
      const raw = parseJson(await readBody(req), {});
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
        throw new GatewayError(400, "invalid_args", "The body must be a JSON object of arguments.");
      }
      const args = parseArgs(command, raw);
      const key = req.headers.get("idempotency-key");
      const run = async (idempotencyKey: string | null): Promise<StoredAnswer> => {
        const result = await core.executor.run({
          channel: "http",
          command,
          args,
          principal,
          chat: null,
          idempotencyKey,
          linking: null,
        });
        return { status: 200, body: { ok: true, text: result.text, data: result.data ?? null } };
      };
      if (key === null) {
        const answer = await run(null);
        return json(answer.body, answer.status);
      }
      if (!IDEMPOTENCY_KEY.test(key)) {
        throw new GatewayError(
          400,
          "invalid_args",
          "Idempotency-Key must be 1-200 printable ASCII characters.",
        );
      }
      const delivered = await once<StoredAnswer>(
        core.ledger,
        `http:${principal.userId}:${key}`,
        await fingerprint(`${command.name}\n${JSON.stringify(args)}`),
        {
          run: () => run(`http:${key}`),
          readOnly: command.readOnly,
          onFinalError: (err) => ({ status: err.status, body: errorBody(err) }),
        },
      );
      record.replayed = delivered.replayed;
      if (delivered.replayed) {
        const stored = delivered.stored as StoredAnswer;
        return json(stored.body, stored.status, { "idempotent-replayed": "true" });
      }
      return json(delivered.value.body, delivered.value.status);
    },
  };
}
