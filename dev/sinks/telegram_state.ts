/**
 * Telegram sink helper: what the sink remembers per bot token (its `User`, webhook, command
 * lists, sent messages per chat) and the types shared by the Bot API method implementations.
 *
 * @module
 */

/** A Bot API error answer: `{ok:false, error_code: status, description: message}`. */
export class TelegramError extends Error {
  /** Creates the error; `message` becomes the answer's `description`. */
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** What `getWebhookInfo` reports about deliveries; tests set it (the sink delivers nothing). */
export interface WebhookStatus {
  /** Updates waiting for delivery. */
  pending_update_count: number;
  /** Unix time of the last delivery error, if any. */
  last_error_date?: number;
  /** Telegram's description of it, e.g. "Wrong response from the webhook: 500 Internal...". */
  last_error_message?: string;
}

/** The webhook settings remembered by `setWebhook`. */
export interface WebhookSettings {
  /** Target URL. */
  url: string;
  /** Secret sent back in `X-Telegram-Bot-Api-Secret-Token`, if any. */
  secret_token?: string;
  /** `max_connections` (default 40). */
  max_connections: number;
}

interface StoredMessage {
  text: string;
  markup: string;
  message: Record<string, unknown>;
}

interface ChatState {
  nextId: number;
  messages: Map<number, StoredMessage>;
  deleted: Set<number>;
}

/** What the sink remembers about one bot token. */
export class BotState {
  /** The bot's `User`, as `getMe` returns it. */
  readonly user: Record<string, unknown>;
  /** Current webhook, or null when none is set. */
  webhook: WebhookSettings | null = null;
  /** Last `allowed_updates` given to `setWebhook`, if any. */
  allowedUpdates: string[] | undefined;
  /** Delivery state as `getWebhookInfo` reports it. */
  status: WebhookStatus = { pending_update_count: 0 };
  /** Command lists by scope and language (`setMyCommands`). */
  readonly commands = new Map<string, { command: string; description: string }[]>();
  readonly #chats = new Map<string, ChatState>();

  /**
   * Creates the state of the bot whose token starts with `id:`. `forumTopics` lists, per chat id,
   * the forum topics (message_thread_id) that exist; a thread id anywhere else is refused, as
   * Telegram refuses the reply-thread id of a message in an ordinary supergroup.
   */
  constructor(
    readonly id: number,
    readonly forumTopics: ReadonlyMap<string, ReadonlySet<number>> = new Map(),
  ) {
    this.user = {
      id,
      is_bot: true,
      first_name: "Sink Bot",
      username: `sink${id}_bot`,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
    };
  }

  /** The message bookkeeping of one chat. */
  chat(key: string): ChatState {
    let state = this.#chats.get(key);
    if (!state) {
      this.#chats.set(key, state = { nextId: 1, messages: new Map(), deleted: new Set() });
    }
    return state;
  }
}

/** Parameters of a Bot API call. */
export type Params = Record<string, unknown>;

/** What a method returns on success. */
export interface MethodOutcome {
  /** The `result` field. */
  result: unknown;
  /** Optional `description` Telegram adds (e.g. "Webhook was set"). */
  description?: string;
}

/** One Bot API method: its canonical name and implementation (`now` in unix seconds). */
export interface MethodEntry {
  /** Name as Telegram spells it. */
  name: string;
  /** Runs the method or throws {@link TelegramError}. */
  run(bot: BotState, params: Params, now: number): MethodOutcome;
}

/** A 400 answer: `Bad Request: <detail>`. */
export const bad = (detail: string): TelegramError =>
  new TelegramError(400, `Bad Request: ${detail}`);
