/**
 * Telegram sink helper: what the sink remembers per bot token (its `User`, webhook, command
 * lists, sent messages per chat, the users it knows) and the types shared by the Bot API method
 * implementations.
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

/**
 * What Telegram knows of a user, for one bot: seen in an update (a press in a group, a group
 * message), started (wrote to the bot in private, which only the Start button allows at first),
 * or blocked (the bot was stopped in the private chat).
 */
export type UserStanding = "seen" | "started" | "blocked";

interface ChatState {
  nextId: number;
  /** What the bot sent (and may edit). */
  messages: Map<number, StoredMessage>;
  deleted: Set<number>;
  /** Messages of others the bot received in updates (what a reply may quote); the latest only. */
  received: Map<number, Record<string, unknown>>;
}

/** Received messages remembered per chat: enough for any test, bounded for long runs. */
const RECEIVED_PER_CHAT = 1000;

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
  /** The users Telegram knows for this bot, from the updates it delivered ({@link note}). */
  readonly #users = new Map<number, UserStanding>();

  /**
   * Creates the state of the bot whose token starts with `id:`. `forumTopics` lists, per chat id,
   * the forum topics (message_thread_id) that exist; a thread id anywhere else is refused, as
   * Telegram refuses the reply-thread id of a message in an ordinary supergroup.
   */
  constructor(
    readonly id: number,
    readonly forumTopics: ReadonlyMap<string, ReadonlySet<number>> = new Map(),
    /** Every private chat takes messages (for stacks whose updates do not pass the sink). */
    readonly anyPrivateChat = false,
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

  /**
   * Learns from an update delivered to the bot, as Telegram knows its users: whoever appears in
   * it has been seen; a message in their private chat means they started the bot; a
   * `my_chat_member` change in it records a block ("kicked") or a restart ("member").
   */
  note(update: unknown): void {
    if (typeof update !== "object" || update === null) return;
    for (const value of Object.values(update)) {
      if (typeof value !== "object" || value === null) continue;
      const { from, chat, new_chat_member } = value as {
        from?: { id?: unknown };
        chat?: { id?: unknown; type?: unknown };
        new_chat_member?: { status?: unknown };
      };
      const id = from?.id;
      if (typeof id !== "number" || !Number.isSafeInteger(id)) continue;
      this.#receive(value as Record<string, unknown>);
      const inPrivate = chat?.type === "private" && chat.id === id;
      if (inPrivate && new_chat_member?.status === "kicked") this.#users.set(id, "blocked");
      else if (inPrivate) this.#users.set(id, "started");
      else if (!this.#users.has(id)) this.#users.set(id, "seen");
    }
  }

  /**
   * Telegram's refusal of a message to the private chat of `userId`, or null when the bot may
   * write there: a user the bot never saw is "chat not found"; one who never started the bot
   * cannot be written to first (403); a block is a 403 of its own.
   */
  privateChatRefusal(userId: number): TelegramError | null {
    const standing = this.#users.get(userId);
    // A block is known even where every private chat is open (the dev stack): it can be tried.
    if (standing === "blocked") {
      return new TelegramError(403, "Forbidden: bot was blocked by the user");
    }
    if (this.anyPrivateChat || standing === "started") return null;
    if (standing === "seen") {
      return new TelegramError(403, "Forbidden: bot can't initiate conversation with a user");
    }
    return bad("chat not found");
  }

  /** The message bookkeeping of one chat. */
  chat(key: string): ChatState {
    let state = this.#chats.get(key);
    if (!state) {
      this.#chats.set(
        key,
        state = { nextId: 1, messages: new Map(), deleted: new Set(), received: new Map() },
      );
    }
    return state;
  }

  /** Remembers a message of an update (one with an id and a chat), so a reply can quote it. */
  #receive(message: Record<string, unknown>): void {
    const { message_id: id, chat } = message as { message_id?: unknown; chat?: { id?: unknown } };
    if (!Number.isSafeInteger(id) || !Number.isSafeInteger(chat?.id)) return;
    const { received } = this.chat(String(chat!.id));
    received.delete(id as number);
    received.set(id as number, message);
    if (received.size > RECEIVED_PER_CHAT) received.delete(received.keys().next().value!);
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
