/**
 * TEMPLATE — the chat accounts page as a React component (React 18 or 19), for apps with a build:
 * the same calls and words as `chat-accounts.js` (see docs/web-page.md), in fewer lines. Copy it
 * with `qr.js` and `chat-accounts.css`, and render `<ChatAccounts supabase={supabase} />` with the
 * app's own supabase-js client once the user is signed in. Only that user's session and the
 * migrations' RLS policies are used, never a service key.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { SupabaseClient } from "@supabase/supabase-js";
import { qrMatrix } from "./qr.js";

interface Account {
  id: number;
  provider: string;
  external_id: string;
  username: string | null;
  display_name: string | null;
  linked_at: string;
  notify: boolean;
}
interface Delivery {
  id: number;
  created_at: string;
  provider: string;
  external_id: string;
  bot: string;
  status: "pending" | "sent" | "failed" | "dead" | "skipped";
  last_error: string | null;
  sent_at: string | null;
}
interface LinkCode {
  code: string;
  expires_at: string;
  links?: { telegram?: Record<string, string> };
  /** What to send on each platform that links by a command (an older gateway leaves it out). */
  send?: { telegram?: string[]; discord?: string[]; slack?: string[] };
}

const PLATFORMS: Record<string, string> = {
  telegram: "Telegram",
  discord: "Discord",
  slack: "Slack",
};
const STATUS = {
  pending: "Waiting to be sent",
  sent: "Sent",
  failed: "Not sent",
  dead: "Gave up",
  skipped: "Skipped",
};
const when = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
// The account's name between Unicode isolates: a name written right to left (or holding U+202E)
// cannot reorder the sentence or the cell it sits in.
const nameOf = (a: Account) =>
  `${PLATFORMS[a.provider] ?? a.provider} \u2068${
    a.username ? `@${a.username}` : a.display_name || a.external_id
  }\u2069`;

export function ChatAccounts(
  { supabase, gateway = "gateway" }: { supabase: SupabaseClient; gateway?: string },
) {
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [deliveries, setDeliveries] = useState<Delivery[]>([]);
  const [code, setCode] = useState<LinkCode | null>(null);
  const [status, setStatus] = useState("");
  const known = useRef<Set<number> | null>(null);

  const load = useCallback(async () => {
    const [ids, sent] = await Promise.all([
      supabase.from("chat_identities").select(
        "id, provider, external_id, username, display_name, linked_at, notify",
      )
        .order("linked_at", { ascending: false }).returns<Account[]>(),
      supabase.from("notification_deliveries").select(
        "id, created_at, provider, external_id, bot, status, last_error, sent_at",
      )
        .order("created_at", { ascending: false }).limit(10).returns<Delivery[]>(),
    ]);
    if (ids.error || sent.error) {
      return setStatus(`Could not load your chat accounts: ${(ids.error ?? sent.error)!.message}.`);
    }
    const fresh = known.current ? ids.data.filter((a) => !known.current!.has(a.id)) : [];
    known.current = new Set(ids.data.map((a) => a.id));
    setAccounts(ids.data);
    setDeliveries(sent.data);
    if (fresh.length) {
      setCode(null); // the code was used
      setStatus(`Linked ${fresh.map(nameOf).join(", ")}.`);
    }
  }, [supabase]);

  useEffect(() => void load(), [load]);
  // While a code is shown, look for the account it links every 2 s, until it expires.
  useEffect(() => {
    if (!code) return;
    const timer = setInterval(
      () => Date.parse(code.expires_at) > Date.now() ? load() : setCode(null),
      2000,
    );
    return () => clearInterval(timer);
  }, [code, load]);

  async function createCode() {
    setStatus("Creating a link code…");
    const { data, error } = await supabase.functions.invoke(`${gateway}/commands/link-code`, {
      method: "POST",
      body: {},
    });
    if (error) return setStatus(`Could not create a link code: ${error.message}.`);
    setCode(data.data);
    setStatus(`Your link code is ${data.data.code}.`);
  }

  async function setNotify(account: Account, notify: boolean) {
    const { error } = await supabase.from("chat_identities").update({ notify }).eq(
      "id",
      account.id,
    );
    if (error) return setStatus(`Could not change notifications: ${error.message}.`);
    setAccounts((list) => list?.map((a) => (a.id === account.id ? { ...a, notify } : a)) ?? null);
    setStatus(`Notifications ${notify ? "on" : "off"} for ${nameOf(account)}.`);
  }

  async function unlink(account: Account) {
    const { error } = await supabase.from("chat_identities").delete().eq("id", account.id);
    if (error) return setStatus(`Could not unlink it: ${error.message}.`);
    setStatus(`Unlinked ${nameOf(account)}. It can no longer act for you.`);
    await load();
  }

  return (
    <section className="ca" aria-labelledby="ca-title">
      <h2 id="ca-title">Chat accounts</h2>
      <p className="ca-status" role="status" aria-live="polite">{status}</p>
      <h3>Link an account</h3>
      <button type="button" onClick={createCode}>Create link code</button>
      {code && (
        <div className="ca-code">
          <h4>
            Your link code: <code>{code.code}</code>
          </h4>
          <p>
            Works once, until{" "}
            {new Date(code.expires_at).toLocaleTimeString()}. Send it from the account to link:
          </p>
          <ul>
            {Object.entries(code.links?.telegram ?? {}).map(([bot, url]) => (
              <li key={bot}>
                <div className="ca-telegram">
                  <span>
                    <strong>Telegram ({bot})</strong>: open <a href={url}>{url}</a> or send{" "}
                    <kbd>/start {code.code}</kbd>.
                  </span>
                  <QrCode text={url} label={`QR code of ${url}`} />
                </div>
              </li>
            ))}
            {Object.entries(
              code.send ?? {
                discord: [`/link code:${code.code}`],
                slack: [`/link ${code.code}`],
              },
            )
              .filter(([platform]) =>
                platform !== "telegram" || !Object.keys(code.links?.telegram ?? {}).length
              )
              .map(([platform, texts]) => (
                <li key={platform}>
                  <strong>{PLATFORMS[platform] ?? platform}</strong>:{" "}
                  {platform === "discord" ? "use" : "send"}{" "}
                  {texts.map((text, i) => (
                    <span key={text}>
                      {i > 0 && " or "}
                      <kbd>{text}</kbd>
                    </span>
                  ))}.
                </li>
              ))}
          </ul>
        </div>
      )}
      <h3>Linked accounts</h3>
      {accounts?.length === 0 && (
        <p>No chat account is linked yet. Create a link code and send it to a bot.</p>
      )}
      {accounts?.length
        ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Platform</th>
                <th scope="col">Account</th>
                <th scope="col">Linked since</th>
                <td />
                <td />
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => (
                <tr key={a.id}>
                  <td>{PLATFORMS[a.provider] ?? a.provider}</td>
                  <th scope="row" id={`ca-account-${a.id}`}>{nameOf(a)}</th>
                  <td>
                    <time dateTime={a.linked_at}>{when(a.linked_at)}</time>
                  </td>
                  <td>
                    <label>
                      <input
                        type="checkbox"
                        checked={a.notify}
                        aria-describedby={`ca-account-${a.id}`}
                        onChange={(e) => setNotify(a, e.target.checked)}
                      />{" "}
                      Notifications
                    </label>
                  </td>
                  <td>
                    <button
                      type="button"
                      aria-describedby={`ca-account-${a.id}`}
                      onClick={() => unlink(a)}
                    >
                      Unlink
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
        : null}
      <h3>Latest notifications</h3>
      {deliveries.length === 0 ? <p>No notifications yet.</p> : (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">To</th>
              <th scope="col">Status</th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {deliveries.map((d) => (
              <tr key={d.id}>
                <td>{when(d.sent_at ?? d.created_at)}</td>
                <td>
                  {PLATFORMS[d.provider] ?? d.provider} {d.external_id}
                  {d.bot !== "default" && ` (bot ${d.bot})`}
                </td>
                <td>
                  <span className={`ca-badge ca-${d.status}`}>{STATUS[d.status]}</span>
                </td>
                <td>{d.last_error}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A QR code of `text` as SVG (qr.js: no image or script from outside). */
function QrCode({ text, label }: { text: string; label: string }) {
  let grid: boolean[][];
  try {
    grid = qrMatrix(text);
  } catch {
    return null; // too long to encode: the link itself is enough
  }
  const d = grid.flatMap((row, y) =>
    row.map((dark, x) => (dark ? `M${x + 4},${y + 4}h1v1h-1z` : ""))
  ).join("");
  const n = grid.length + 8;
  return (
    <svg viewBox={`0 0 ${n} ${n}`} role="img" aria-label={label} shapeRendering="crispEdges">
      <rect width={n} height={n} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
