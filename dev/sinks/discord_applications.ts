/**
 * Discord sink helper: applications. The sink learns each application (id, bot token, public key,
 * and optionally its private key) through `registerApplication`, as Discord knows its developers'
 * apps, and then answers as Discord does: `GET`/`PATCH /applications/@me` for the application a
 * `Bot` token belongs to (any other token: 401), and the commands of a known application only for
 * its own token (another application's: 403 Missing Access). Applications it was never told about
 * stay open to any token, as before. A new interactions endpoint URL is verified as Discord does
 * when the private key is known (`discord_endpoint_check.ts`); without it, it is accepted.
 *
 * @module
 */

import { addError, DiscordError, type FormErrors, lengthMessage } from "./discord_errors.ts";
import { verifyEndpoint } from "./discord_endpoint_check.ts";

/** An application the sink knows. */
export interface SinkApplication {
  applicationId: string;
  botToken: string;
  /** Hex of the Ed25519 public key (the application's `verify_key`). */
  publicKey: string;
  /** PKCS#8 private key, base64: given, the sink verifies endpoint URLs with signed PINGs. */
  privateKey?: string;
  /** The application's name (default "Sink App <id>"). */
  name?: string;
}

type Json = Record<string, unknown>;

interface AppState {
  app: SinkApplication;
  description: string;
  tags: string[];
  interactionsEndpointUrl: string | null;
}

const UNAUTHORIZED = () => new DiscordError(401, { message: "401: Unauthorized", code: 0 });
const LOOPBACK = ["127.0.0.1", "localhost", "[::1]"];

/** The applications of one sink. */
export class ApplicationStore {
  #byId = new Map<string, AppState>();
  #byToken = new Map<string, AppState>();

  /** `fetch` reaches the endpoint URLs being verified. */
  constructor(readonly fetch: typeof globalThis.fetch) {}

  /** Learns (or replaces) an application. */
  register(app: SinkApplication): void {
    const old = this.#byId.get(app.applicationId);
    if (old) this.#byToken.delete(old.app.botToken);
    const state = { app: { ...app }, description: "", tags: [], interactionsEndpointUrl: null };
    this.#byId.set(app.applicationId, state);
    this.#byToken.set(app.botToken, state);
  }

  /** The application object, as `GET /applications/@me` answers it, or undefined. */
  get(applicationId: string): Json | undefined {
    const state = this.#byId.get(applicationId);
    return state && applicationObject(state);
  }

  /** Puts every application back as registered (no endpoint URL, no description). */
  reset(): void {
    for (const state of this.#byId.values()) {
      Object.assign(state, { description: "", tags: [], interactionsEndpointUrl: null });
    }
  }

  /** Answers `GET` or `PATCH /applications/@me`; throws {@link DiscordError}. */
  async me(req: Request, body: unknown): Promise<Json> {
    const state = this.#byToken.get(botToken(req) ?? "");
    if (!state) throw UNAUTHORIZED();
    const method = req.method.toUpperCase();
    if (method === "GET") return applicationObject(state);
    if (method !== "PATCH") {
      throw new DiscordError(405, { message: "405: Method Not Allowed", code: 0 });
    }
    const changes = checkEdit(body);
    if (typeof changes.interactions_endpoint_url === "string") {
      const ok = await verifyEndpoint(this.fetch, state.app, changes.interactions_endpoint_url);
      if (!ok) {
        const errors: FormErrors = {};
        addError(
          errors,
          ["interactions_endpoint_url"],
          "APPLICATION_INTERACTIONS_ENDPOINT_URL_INVALID",
          "The specified interactions endpoint url could not be verified.",
        );
        throw new DiscordError(400, { message: "Invalid Form Body", code: 50035, errors });
      }
    }
    if ("interactions_endpoint_url" in changes) {
      state.interactionsEndpointUrl = (changes.interactions_endpoint_url as string | null) || null;
    }
    if (typeof changes.description === "string") state.description = changes.description;
    if (Array.isArray(changes.tags)) state.tags = changes.tags as string[];
    return applicationObject(state);
  }

  /**
   * Refuses a call on a known application's commands made with another token: an unknown token
   * is 401, another known application's 403 Missing Access, as Discord answers.
   */
  checkCommandAccess(applicationId: string, req: Request): void {
    const state = this.#byId.get(applicationId);
    const token = botToken(req);
    if (!state || token === undefined) return; // unknown apps and OAuth bearers: as before
    if (token === state.app.botToken) return;
    if (!this.#byToken.has(token)) throw UNAUTHORIZED();
    throw new DiscordError(403, { message: "Missing Access", code: 50001 });
  }
}

function botToken(req: Request): string | undefined {
  return /^Bot (\S+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
}

/** Checks an edit as Discord does (only the fields the sink keeps); throws 400 50035. */
function checkEdit(body: unknown): Json {
  const errors: FormErrors = {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    addError(errors, [], "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
    throw new DiscordError(400, { message: "Invalid Form Body", code: 50035, errors });
  }
  const edit = body as Json;
  const url = edit.interactions_endpoint_url;
  if (url !== undefined && url !== null && url !== "") {
    if (typeof url !== "string" || !wellFormed(url)) {
      addError(
        errors,
        ["interactions_endpoint_url"],
        "URL_TYPE_INVALID_URL",
        "Not a well formed URL.",
      );
    }
  }
  const description = edit.description;
  if (description !== undefined && (typeof description !== "string" || description.length > 400)) {
    addError(errors, ["description"], "BASE_TYPE_BAD_LENGTH", lengthMessage.between(0, 400));
  }
  const tags = edit.tags;
  if (tags !== undefined) {
    if (!Array.isArray(tags)) {
      addError(errors, ["tags"], "BASE_TYPE_ARRAY", "Only iterables may be used in a ListType");
    } else if (tags.length > 5) {
      addError(errors, ["tags"], "BASE_TYPE_MAX_LENGTH", lengthMessage.max(5));
    } else {
      tags.forEach((tag, i) => {
        if (typeof tag !== "string" || tag.length < 1 || tag.length > 20) {
          addError(errors, ["tags", i], "BASE_TYPE_BAD_LENGTH", lengthMessage.between(1, 20));
        }
      });
    }
  }
  if (Object.keys(errors).length) {
    throw new DiscordError(400, { message: "Invalid Form Body", code: 50035, errors });
  }
  return edit;
}

/** An https URL; plain http only on loopback (a deviation, so the local stack can be reached). */
function wellFormed(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK.includes(url.hostname));
}

/** The application object with the fields Discord documents for `GET /applications/@me`. */
function applicationObject(state: AppState): Json {
  const { app } = state;
  const name = app.name ?? `Sink App ${app.applicationId}`;
  return {
    id: app.applicationId,
    name,
    icon: null,
    description: state.description,
    type: null,
    bot_public: true,
    bot_require_code_grant: false,
    // A bot user's id is its application's id.
    bot: {
      id: app.applicationId,
      username: name.toLowerCase().replace(/[^a-z0-9_.]+/g, "_").slice(0, 32),
      global_name: null,
      avatar: null,
      discriminator: "0",
      public_flags: 0,
      flags: 0,
      bot: true,
    },
    owner: {
      id: "100000000000000999",
      username: "sink-owner",
      global_name: null,
      avatar: null,
      discriminator: "0",
      public_flags: 0,
      flags: 0,
    },
    verify_key: app.publicKey,
    team: null,
    flags: 0,
    approximate_guild_count: 0,
    approximate_user_install_count: 0,
    redirect_uris: [],
    interactions_endpoint_url: state.interactionsEndpointUrl,
    role_connections_verification_url: null,
    event_webhooks_url: null,
    event_webhooks_status: 1,
    tags: [...state.tags],
    integration_types_config: {
      "0": {
        oauth2_install_params: { scopes: ["applications.commands", "bot"], permissions: "0" },
      },
    },
  };
}
