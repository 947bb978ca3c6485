/**
 * Slack cases: `POST /slack`, form-encoded and signed with the stack's signing secret (v0 HMAC,
 * made at send time). Most are slash commands from the linked account with nasty text (so they
 * reach the command layer and the database) and button presses carrying the stack's real signed
 * calls, tampered calls and nasty payload shapes; the rest are forms of the wrong shape at every
 * field, other interaction and event types, malformed bodies and content types, oversized
 * bodies, and broken signatures; and Events API callbacks (`cases_slack_events.ts`: commands by
 * DM and mention, events that run nothing, broken ones). `@response-url` and `@button-N` in a body
 * are filled in at send time (a response URL registered in the stack's Slack sink; a button token
 * signed with the stack's key), since they need the stack.
 */
import type { Rng } from "./prng.ts";
import { type CaseBody, type SignatureKind, SL_LINKED } from "./generate.ts";
import { malformedBody, nastyNumber, nastyString, nastyValue } from "./values.ts";
import { slackEventCase } from "./cases_slack_events.ts";

/** Just over the Slack body limit (256 KiB). */
const OVER_LIMIT = 256 * 1024 + 1;
const FORM = "application/x-www-form-urlencoded";

/** The calls the runner signs for `@button-N` (N is the index), as the stack's buttons do. */
export const SLACK_BUTTONS = [
  {
    label: "Done",
    command: "done",
    args: { id: 1 },
    then: { command: "tasks", args: { page: 1 } },
  },
  { label: "Undo", command: "undo", args: { id: 2 } },
  { label: "More", command: "tasks", args: { page: 2 } },
  { label: "Who", command: "whoami", args: {} },
  { label: "Link", command: "link", args: { code: "ABCDEFGHJK" } },
] as const;

/** One Slack case. */
export function slackCase(rng: Rng, index: number): CaseBody {
  const area = rng.weighted({
    "linked-command": 36,
    "unlinked-command": 6,
    "form-shape": 12,
    press: 16,
    "payload-shape": 8,
    other: 5,
    "bad-body": 6,
    oversized: 3,
    signature: 8,
    event: 14,
  });
  const [team, user] = area === "unlinked-command"
    ? ["T0FUZZ", `U${rng.text(10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")}`]
    : SL_LINKED.split(":");
  const line = commandLine(rng);
  const fields: Record<string, string> = {
    token: "deprecated",
    team_id: team,
    team_domain: "fuzz",
    channel_id: "C0FUZZ",
    channel_name: "fuzz",
    user_id: user,
    user_name: "fuzz",
    command: line.command,
    text: line.text,
    api_app_id: "A0FUZZ",
    response_url: "@response-url",
    trigger_id: `${1_700_000_000 + index}.${index}.${rng.text(16, "0123456789abcdef")}`,
  };
  let category = area.endsWith("command") ? line.kind : "";
  let body: string | undefined;
  let contentType = FORM;
  let signature: SignatureKind = "valid";
  switch (area) {
    case "form-shape": {
      const field = rng.pick([
        "team_id",
        "user_id",
        "command",
        "text",
        "trigger_id",
        "response_url",
        "api_app_id",
      ]);
      const broken = rng.weighted({ missing: 3, empty: 2, nasty: 4, foreign: 1, repeated: 1 });
      if (broken === "missing") delete fields[field];
      else if (broken === "empty") fields[field] = "";
      else if (broken === "foreign") fields[field] = "https://evil.example/hook";
      else if (broken === "nasty") fields[field] = nastyString(rng).value;
      category = `${field}-${broken}`;
      if (broken === "repeated") {
        const again = new URLSearchParams({ [field]: nastyString(rng).value });
        body = `${new URLSearchParams(fields)}&${again}`;
      }
      break;
    }
    case "press":
    case "payload-shape": {
      const press = pressPayload(rng, index, area === "payload-shape");
      body = `payload=${encodeURIComponent(press.json)}`;
      category = press.kind;
      break;
    }
    case "other": {
      const kind = rng.pick(["ssl_check", "url_verification", "event", "shortcut", "view"]);
      category = kind;
      if (kind === "ssl_check") body = "ssl_check=1&token=x";
      else if (kind === "url_verification" || kind === "event") {
        contentType = "application/json";
        body = JSON.stringify(
          kind === "event"
            ? { type: "event_callback", event: { type: "app_mention", text: "<@U0> /add x" } }
            : { type: "url_verification", challenge: rng.pick(["c", nastyString(rng).value, 5]) },
        );
      } else {
        const type = kind === "shortcut" ? "shortcut" : "view_submission";
        body = `payload=${encodeURIComponent(JSON.stringify({ type, user: { id: user } }))}`;
      }
      break;
    }
    case "bad-body": {
      const kind = rng.pick(["payload-json", "content-type", "binary", "empty"]);
      category = kind;
      if (kind === "payload-json") {
        body = `payload=${encodeURIComponent(malformedBody(rng, "{}").value)}`;
      } else if (kind === "content-type") {
        contentType = rng.pick(["application/json", "text/plain", "multipart/form-data", ""]);
        body = new URLSearchParams(fields).toString();
      } else if (kind === "binary") body = "\u0000\uffff%zz&=&&==";
      else body = "";
      break;
    }
    case "event": {
      const made = slackEventCase(rng, index);
      category = made.category;
      body = made.body;
      contentType = "application/json";
      break;
    }
    case "oversized":
      fields.text = `add ${"o".repeat(OVER_LIMIT)}`;
      category = "declared";
      break;
    case "signature":
      signature = rng.pick<SignatureKind>([
        "stale",
        "future",
        "wrong-key",
        "missing-signature",
        "missing-timestamp",
        "body-changed",
        "garbage",
      ]);
      category = signature;
      break;
  }
  return {
    category: `${area}/${category}`,
    method: "POST",
    path: "/slack",
    headers: contentType ? { "content-type": contentType } : {},
    body: body ?? new URLSearchParams(fields).toString(),
    signature,
  };
}

/** A slash command as a linked user would send it, with nasty text. */
export function commandLine(rng: Rng): { kind: string; command: string; text: string } {
  const title = nastyString(rng);
  const id = nastyNumber(rng);
  const kinds: Record<string, () => [string, string]> = {
    add: () => ["/add", title.value],
    "add-empty": () => ["/add", ""],
    "add-escaped": () => ["/add", `a &lt;b&gt; &amp;amp; ${title.value}`],
    done: () => ["/done", `${rng.chance(0.3) ? "#" : ""}${id.value}`],
    "done-text": () => ["/done", title.value],
    "done-extra": () => ["/done", "1 2 three"],
    tasks: () => ["/tasks", rng.pick(["", "2", "0", "-1", "x", title.value])],
    whoami: () => ["/whoami", ""],
    help: () => ["/help", title.value],
    link: () => ["/link", rng.pick(["ABCD-EFGH-JK", "", title.value, "x".repeat(40)])],
    unknown: () => [rng.pick(["/start", "/link-code", "/ADD", "/x", "/" + "y".repeat(31)]), "1"],
    // Unlinks the fuzz account; the runner links it again after the case.
    unlink: () => ["/unlink", ""],
    "long-line": () => ["/add", "w ".repeat(rng.pick([2100, 3000]))],
  };
  const kind = rng.weighted<string>({
    ...Object.fromEntries(Object.keys(kinds).map((k) => [k, 1])),
    add: 6,
    done: 2,
    unlink: 0.3,
  });
  const [command, text] = kinds[kind]();
  const suffix = ["add", "help", "done-text", "add-escaped"].includes(kind) ? `-${title.kind}` : "";
  return { kind: `${kind}${suffix}`, command, text };
}

/** A block_actions payload: a real button (maybe tampered), or one of the wrong shape. */
function pressPayload(rng: Rng, index: number, broken: boolean): { kind: string; json: string } {
  const [team, user] = SL_LINKED.split(":");
  const button = rng.int(0, SLACK_BUTTONS.length - 1);
  const value = rng.weighted({ real: 6, tampered: 2, nasty: 1, other: 1 });
  const payload: Record<string, unknown> = {
    type: "block_actions",
    user: { id: user, username: "fuzz", team_id: team },
    api_app_id: "A0FUZZ",
    container: { type: "message", message_ts: "1.1", is_ephemeral: rng.chance(0.7) },
    trigger_id: `${1_800_000_000 + index}.${index}.${rng.text(16, "0123456789abcdef")}`,
    team: { id: team, domain: "fuzz" },
    response_url: "@response-url",
    actions: [{
      type: "button",
      action_id: "b0.0",
      block_id: rng.pick([`r0.${user}`, "r0.U0SOMEONE", "r0.", "x", ""]),
      value: value === "real"
        ? `@button-${button}`
        : value === "tampered"
        ? `@button-${button}-tampered`
        : value === "nasty"
        ? nastyString(rng).value
        : "click_me_123",
    }],
  };
  if (!broken) {
    return { kind: `${SLACK_BUTTONS[button].command}-${value}`, json: JSON.stringify(payload) };
  }
  const field = rng.pick([
    "actions",
    "actions.0",
    "value",
    "user",
    "team",
    "container",
    "type",
    "trigger_id",
  ]);
  const junk = nastyValue(rng).value;
  const action = (payload.actions as Record<string, unknown>[])[0];
  if (field === "actions") payload.actions = junk;
  else if (field === "actions.0") payload.actions = [junk];
  else if (field === "value") action.value = junk;
  else payload[field] = junk;
  return { kind: `${field}-${typeof junk}`, json: JSON.stringify(payload) };
}
