/**
 * The local stack's sign-in bar: "Sign in as …" gets a demo user's access token from the front
 * door (`POST /__local/session`, local only), builds a supabase-js client that carries it, and
 * mounts the chat accounts template with that client, as an app would with its own session. The
 * session is kept for this tab (sessionStorage), so a reload stays signed in.
 */
import { mountChatAccounts } from "../../templates/web/chat-accounts.js";

const KEY = "local-stack-session";
const anonKey = document.querySelector('meta[name="supabase-anon-key"]').content;
const root = document.getElementById("chat-accounts");
const who = document.getElementById("signed-in");
let page = null;

async function signIn(email) {
  who.textContent = `Signing in as ${email}…`;
  const res = await fetch("/__local/session", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    who.textContent = `Could not sign in: ${body.message ?? res.status}.`;
    return;
  }
  sessionStorage.setItem(KEY, JSON.stringify(body));
  show(body);
}

function show(session) {
  const supabase = globalThis.supabase.createClient(location.origin, anonKey, {
    accessToken: () => Promise.resolve(session.access_token),
  });
  page?.destroy();
  page = mountChatAccounts(root, { supabase });
  who.textContent = `Signed in as ${session.email}.`;
}

for (const button of document.querySelectorAll("button[data-email]")) {
  button.addEventListener("click", () => signIn(button.dataset.email));
}
const saved = JSON.parse(sessionStorage.getItem(KEY) ?? "null");
if (saved?.expires_at * 1000 > Date.now() + 60_000) show(saved);
