/**
 * TEMPLATE — the chat accounts page's markup: pure functions from data to DOM nodes, with every
 * value set as text (a chat account's name comes from Telegram, Discord or Slack and may hold
 * anything), every control labelled, and nothing loaded from outside. `chat-accounts.js` owns the
 * data and the events; see docs/web-page.md.
 *
 * @module
 */
import { qrSvg } from "./qr.js";

/** The platforms' names as people write them. */
export const PLATFORMS = { telegram: "Telegram", discord: "Discord", slack: "Slack" };

/** What each delivery status means to the person reading it. */
const STATUS = {
  pending: "Waiting to be sent",
  sent: "Sent",
  failed: "Not sent",
  dead: "Gave up",
  skipped: "Skipped",
};

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });

/**
 * An element: `attrs` are attributes, except `on<event>` (listeners) and the properties
 * `checked`, `disabled`, `hidden`; children are nodes or text (never parsed as HTML).
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), /** @type {any} */ (value));
    else if (["checked", "disabled", "hidden"].includes(name)) {
      /** @type {any} */ (el)[name] = value;
    } else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) if (child || child === "") el.append(child);
  return el;
}

/** A `<time>` for an ISO timestamp, in the reader's locale. */
export function time(iso, format = dateTime) {
  return h("time", { datetime: iso }, format.format(new Date(iso)));
}

/**
 * How an account is named: @username, then the display name, else its platform id. Shown in a
 * `<bdi>` (or, in sentences, between isolates: {@link isolated}).
 */
/** `text` between Unicode isolates, so it cannot reorder the sentence it sits in. */
export function isolated(text) {
  return `\u2068${text}\u2069`;
}

export function accountName(account) {
  if (account.username) return `@${account.username}`;
  return account.display_name || account.external_id;
}

/**
 * The panel showing a fresh link code: the code, until when it works, each Telegram bot's deep
 * link (with a QR code to scan from a phone) and what to send on each platform that links by a
 * command (`send`, from the gateway; an older gateway without it gets the usual syntaxes).
 * @param {{code: string, expires_at: string, links?: {telegram?: Record<string, string>},
 *   send?: {telegram?: string[], discord?: string[], slack?: string[]}}} link
 * @param {string} id the panel's heading id (focus moves there)
 */
export function codePanel(link, id) {
  const code = link.code;
  const send = (text) => h("kbd", {}, text);
  const items = [];
  const telegram = Object.entries(link.links?.telegram ?? {});
  for (const [bot, url] of telegram) {
    const username = /^https:\/\/t\.me\/([A-Za-z0-9_]+)/.exec(url)?.[1] ?? bot;
    let qr = null;
    try {
      qr = qrSvg(document, url, `QR code of the link to @${username} on Telegram`);
    } catch { /* a link too long for the encoder: the link itself is enough */ }
    items.push(
      h(
        "li",
        { "data-platform": "telegram" },
        h(
          "div",
          { class: "ca-telegram" },
          h(
            "span",
            {},
            h("strong", {}, telegram.length > 1 ? `Telegram (@${username})` : "Telegram"),
            ": open ",
            h(
              "a",
              { href: url, target: "_blank", rel: "noopener" },
              url.replace(/^https:\/\//, ""),
            ),
            qr ? " or scan the code with your phone, or send " : " or send ",
            send(`/start ${code}`),
            ` to @${username}.`,
          ),
          qr,
        ),
      ),
    );
  }
  const ways = link.send ?? {
    telegram: [`/link ${code}`],
    discord: [`/link code:${code}`],
    slack: [`/link ${code}`],
  };
  /** One platform's line: "Slack: send /link CODE or /acme-link CODE." */
  const line = (platform, name, verb, texts) =>
    h(
      "li",
      { "data-platform": platform },
      h("strong", {}, name),
      `: ${verb} `,
      ...texts.flatMap((text, i) => (i ? [" or ", send(text)] : [send(text)])),
      ".",
    );
  if (!telegram.length && ways.telegram?.length) {
    items.push(line("telegram", "Telegram", "send", ways.telegram));
  }
  if (ways.discord?.length) items.push(line("discord", "Discord", "use", ways.discord));
  if (ways.slack?.length) items.push(line("slack", "Slack", "send", ways.slack));
  return h(
    "div",
    { class: "ca-code" },
    h("h4", { id, tabindex: "-1" }, "Your link code: ", h("code", { "data-code": code }, code)),
    h(
      "p",
      {},
      "Works once, until ",
      time(link.expires_at, timeOnly),
      ". Send it from the account to link:",
    ),
    h("ul", {}, ...items),
  );
}

/**
 * The linked accounts as a table: platform, name, since when, a "Notifications" checkbox and an
 * "Unlink" button per row (each described by the account's name for screen readers).
 * @param {Array<Record<string, any>>} accounts
 * @param {string} prefix unique id prefix of this page
 * @param {{onNotify: (a: any, on: boolean, box: HTMLInputElement) => void, onUnlink: (a: any) => void}} on
 */
export function accountsTable(accounts, prefix, on) {
  if (!accounts.length) {
    return h("p", {}, "No chat account is linked yet. Create a link code and send it to a bot.");
  }
  const rows = accounts.map((a) => {
    const nameId = `${prefix}-account-${a.id}`;
    const box = /** @type {HTMLInputElement} */ (h("input", {
      type: "checkbox",
      id: `${prefix}-notify-${a.id}`,
      checked: a.notify,
      "aria-describedby": nameId,
      "data-focus": `notify-${a.id}`,
    }));
    box.addEventListener("change", () => on.onNotify(a, box.checked, box));
    const platform = PLATFORMS[a.provider] ?? a.provider;
    return h(
      "tr",
      { "data-account": `${a.provider}:${a.external_id}` },
      h("td", {}, platform),
      h(
        "th",
        { scope: "row", id: nameId },
        h("span", { class: "ca-visually-hidden" }, `${platform} `),
        // <bdi>: a name written right to left (or holding U+202E) cannot flip the text around it.
        h("bdi", {}, accountName(a)),
        a.username && a.display_name
          ? h("span", { class: "ca-muted" }, " ", h("bdi", {}, a.display_name))
          : null,
      ),
      h("td", {}, time(a.linked_at)),
      h("td", {}, h("label", { for: box.id }, box, " Notifications")),
      h(
        "td",
        {},
        h("button", {
          type: "button",
          "aria-describedby": nameId,
          "data-focus": `unlink-${a.id}`,
          onclick: () => on.onUnlink(a),
        }, "Unlink"),
      ),
    );
  });
  return h(
    "table",
    {},
    h("caption", { class: "ca-visually-hidden" }, "Chat accounts linked to you"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Platform", "Account", "Linked since"].map((t) => h("th", { scope: "col" }, t)),
        // The controls' columns: each control carries its own visible label, said once.
        h("td", {}),
        h("td", {}),
      ),
    ),
    h("tbody", {}, ...rows),
  );
}

/**
 * The latest notification deliveries: when, to which account (and bot, when not the default
 * one), the status in words and the reason the gateway gave.
 * @param {Array<Record<string, any>>} deliveries
 * @param {Array<Record<string, any>>} accounts to name the accounts still linked
 */
export function deliveriesTable(deliveries, accounts) {
  if (!deliveries.length) return h("p", {}, "No notifications yet.");
  const named = new Map(accounts.map((a) => [`${a.provider}:${a.external_id}`, accountName(a)]));
  const rows = deliveries.map((d) => {
    const platform = PLATFORMS[d.provider] ?? d.provider;
    const bot = d.bot && d.bot !== "default" ? ` (bot ${d.bot})` : "";
    const account = named.get(`${d.provider}:${d.external_id}`) ?? d.external_id;
    return h(
      "tr",
      { "data-status": d.status },
      h("td", {}, time(d.sent_at ?? d.created_at)),
      h("td", {}, `${platform} `, h("bdi", {}, account), bot),
      h("td", {}, h("span", { class: `ca-badge ca-${d.status}` }, STATUS[d.status] ?? d.status)),
      h("td", {}, d.last_error ?? (d.attempts > 1 ? `${d.attempts} attempts` : "")),
    );
  });
  return h(
    "table",
    {},
    h("caption", { class: "ca-visually-hidden" }, "Your latest notifications"),
    h(
      "thead",
      {},
      h("tr", {}, ...["When", "To", "Status", "Reason"].map((t) => h("th", { scope: "col" }, t))),
    ),
    h("tbody", {}, ...rows),
  );
}
