/**
 * TEMPLATE — a page where the signed-in user links Telegram, Discord and Slack accounts, sees
 * which accounts act for them, switches notifications per account, unlinks, and reads what was
 * sent. Drop `chat-accounts.html`, this module, `chat-accounts-view.js`, `qr.js` and
 * `chat-accounts.css` into the web app (no build step); see docs/web-page.md.
 *
 * Everything goes through the app's own supabase-js client, so through the signed-in user's
 * session and the RLS policies of the gateway's migrations, never a service key:
 * - a link code: `POST /functions/v1/gateway/commands/link-code` (the gateway also knows every
 *   Telegram bot's deep link); from another origin than the gateway's, that origin must be in
 *   `GATEWAY_CORS_ORIGINS`;
 * - linked accounts: `chat_identities` (select; delete = unlink; update of `notify` only);
 * - notifications: `notification_deliveries` (select, newest first).
 *
 * @module
 */
import {
  accountName,
  isolated,
  accountsTable,
  codePanel,
  deliveriesTable,
  h,
  PLATFORMS,
} from "./chat-accounts-view.js";

/**
 * @typedef {object} ChatAccountsOptions
 * @property {any} supabase the app's supabase-js client, carrying the user's session
 * @property {string} [gateway] the gateway function's name (default `gateway`)
 * @property {number} [deliveries] how many notifications to list (default 10)
 * @property {number} [pollMs] while a code is shown, how often to look for the new account (2000)
 */

let mounted = 0;

/**
 * Renders the page into `root` and loads the user's accounts. Call `refresh()` after the session
 * changes (sign-in, sign-out) and `destroy()` when leaving the page.
 * @param {HTMLElement} root
 * @param {ChatAccountsOptions} options
 * @returns {{refresh: () => Promise<void>, destroy: () => void}}
 */
export function mountChatAccounts(root, options) {
  const { supabase, gateway = "gateway", deliveries: limit = 10, pollMs = 2000 } = options;
  if (!supabase?.from || !supabase?.functions) {
    throw new TypeError("mountChatAccounts: pass { supabase }");
  }
  const id = `ca${++mounted}`;
  let accounts = /** @type {any[]} */ ([]);
  let shown = { accounts: "", deliveries: "" };
  let code = /** @type {null | {expires_at: string}} */ (null);
  let known = new Set();
  let loaded = false;
  let timer = 0;
  let loads = 0;
  let destroyed = false;

  const status = h("p", { class: "ca-status", role: "status", "aria-live": "polite" });
  let saying = 0;
  const say = (text) => {
    // Cleared first, so that the same words said twice are announced twice.
    status.textContent = "";
    clearTimeout(saying);
    saying = setTimeout(() => (status.textContent = text), 50);
  };
  const createButton = h(
    "button",
    { type: "button", onclick: () => createCode() },
    "Create link code",
  );
  // Not a live region: the new code's heading takes the focus, and the status line says it.
  const codeArea = h("div");
  const accountsArea = h("div", { "data-part": "accounts", "aria-busy": "true" });
  const deliveriesArea = h("div");
  const accountsHeading = h("h3", { id: `${id}-accounts`, tabindex: "-1" }, "Linked accounts");
  root.replaceChildren(
    h(
      "section",
      { class: "ca", "aria-labelledby": `${id}-title` },
      h("h2", { id: `${id}-title` }, "Chat accounts"),
      h(
        "p",
        {},
        "Link a Telegram, Discord or Slack account to act for you there, and choose which get notifications.",
      ),
      status,
      h(
        "section",
        {},
        h("h3", { id: `${id}-link` }, "Link an account"),
        createButton,
        codeArea,
      ),
      h(
        "section",
        {},
        accountsHeading,
        accountsArea,
        h(
          "button",
          { type: "button", class: "ca-secondary", onclick: () => refresh(true) },
          "Refresh",
        ),
      ),
      h(
        "section",
        {},
        h("h3", { id: `${id}-sent` }, "Latest notifications"),
        deliveriesArea,
      ),
    ),
  );

  // The inner sections are named by their headings only: no aria-label of theirs repeats the
  // words of the controls ("Notifications", "Unlink"), so a search by label finds the control.

  /** Renders a part only when its data changed, keeping the focus on the same control. */
  const render = (area, key, data, build) => {
    const text = JSON.stringify(data);
    if (shown[key] === text) return;
    shown[key] = text;
    const focus = /** @type {HTMLElement | null} */ (document.activeElement)?.dataset?.focus;
    area.replaceChildren(build());
    area.removeAttribute("aria-busy");
    if (focus) {
      /** @type {HTMLElement | null} */ (area.querySelector(`[data-focus="${focus}"]`))?.focus();
    }
  };

  async function refresh(announce = false) {
    const load = ++loads;
    const [ids, sent] = await Promise.all([
      supabase.from("chat_identities")
        .select("id, provider, external_id, username, display_name, linked_at, notify")
        .order("linked_at", { ascending: false }),
      supabase.from("notification_deliveries")
        .select("id, created_at, provider, external_id, bot, status, attempts, last_error, sent_at")
        .order("created_at", { ascending: false }).limit(limit),
    ]);
    if (destroyed || load !== loads) return; // a newer load answers
    const error = ids.error ?? sent.error;
    if (error) return say(problem("load your chat accounts", error));
    const fresh = loaded ? ids.data.filter((a) => !known.has(a.id)) : [];
    loaded = true;
    known = new Set(ids.data.map((a) => a.id));
    accounts = ids.data;
    render(
      accountsArea,
      "accounts",
      accounts,
      () => accountsTable(accounts, id, { onNotify, onUnlink }),
    );
    render(deliveriesArea, "deliveries", sent.data, () => deliveriesTable(sent.data, accounts));
    if (code && fresh.length) {
      // The code was used: it is spent, and the new account is in the list.
      stopPolling();
      codeArea.replaceChildren();
      say(
        `Linked ${
          fresh.map((a) => `${PLATFORMS[a.provider] ?? a.provider} ${isolated(accountName(a))}`)
            .join(", ")
        }.`,
      );
    } else if (announce) {
      say(`${accounts.length} linked account${accounts.length === 1 ? "" : "s"}.`);
    }
  }

  async function createCode() {
    createButton.disabled = true;
    say("Creating a link code…");
    try {
      const { data, error } = await supabase.functions.invoke(`${gateway}/commands/link-code`, {
        method: "POST",
        body: {},
      });
      if (error) return say(problem("create a link code", await gatewayError(error)));
      code = data.data;
      const headingId = `${id}-code`;
      codeArea.replaceChildren(codePanel(data.data, headingId));
      document.getElementById(headingId)?.focus();
      say(`Your link code is ${data.data.code}.`);
      startPolling();
    } finally {
      createButton.disabled = false;
    }
  }

  async function onNotify(account, on, box) {
    loads++; // a load already under way read the row before this change: its answer is dropped
    box.disabled = true;
    const { data, error } = await supabase.from("chat_identities").update({ notify: on })
      .eq("id", account.id).select("id, notify");
    box.disabled = false;
    const name = `${PLATFORMS[account.provider] ?? account.provider} ${
      isolated(accountName(account))
    }`;
    if (error || !data?.length) {
      box.checked = !on;
      say(error ? problem("change notifications", error) : `${name} is no longer linked.`);
    } else {
      account.notify = on;
      shown.accounts = JSON.stringify(accounts);
      say(`Notifications ${on ? "on" : "off"} for ${name}.`);
    }
    box.focus();
  }

  async function onUnlink(account) {
    const name = `${PLATFORMS[account.provider] ?? account.provider} ${
      isolated(accountName(account))
    }`;
    loads++;
    const { error } = await supabase.from("chat_identities").delete().eq("id", account.id);
    if (error) return say(problem("unlink it", error));
    // The row and its button are gone: the focus goes to the list's heading.
    accountsHeading.focus();
    say(`Unlinked ${name}. It can no longer act for you.`);
    await refresh();
  }

  function startPolling() {
    clearInterval(timer);
    timer = setInterval(() => {
      if (!code || Date.parse(code.expires_at) <= Date.now()) return stopPolling();
      if (!document.hidden) refresh();
    }, pollMs);
  }
  function stopPolling() {
    clearInterval(timer);
    if (code && Date.parse(code.expires_at) <= Date.now()) codeArea.replaceChildren();
    code = null;
  }

  // Back on the tab (after linking from the phone, say): what changed meanwhile shows.
  const onVisible = () => document.hidden || refresh();
  document.addEventListener("visibilitychange", onVisible);
  refresh();
  return {
    refresh: () => refresh(),
    destroy() {
      destroyed = true;
      stopPolling();
      clearTimeout(saying);
      document.removeEventListener("visibilitychange", onVisible);
      root.replaceChildren();
    },
  };
}

/** What went wrong, in words: signed out, refused by RLS, or the server's own message. */
function problem(what, error) {
  const code = error?.code ?? "";
  if (code === "PGRST301" || code === "401" || /JWT|token/i.test(error?.message ?? "")) {
    return `Could not ${what}: sign in again.`;
  }
  if (code === "42501" || code === "403") return `Could not ${what}: not allowed for this account.`;
  return `Could not ${what}: ${error?.message ?? "the server did not answer"}.`;
}

/** The gateway's JSON error ({ok:false, error:{code, message}}) behind a functions-js error. */
async function gatewayError(error) {
  try {
    const body = await error.context.json();
    return { code: String(error.context.status), message: body.error?.message ?? error.message };
  } catch {
    return { message: error?.message };
  }
}
