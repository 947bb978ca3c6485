/**
 * Discord cases: `POST /discord`, signed with the stack's application key so they get past
 * verification. Most are slash commands from the linked account with options of nasty values,
 * wrong types, wrong names and nesting; the rest are interactions of the wrong shape (ids,
 * tokens, data, member/user), autocomplete with nasty partial input, malformed or oversized
 * bodies, and broken signatures.
 */
import type { Rng } from "./prng.ts";
import { type CaseBody, DC_LINKED, DISCORD_APP_ID, type SignatureKind } from "./generate.ts";
import { malformedBody, nastyNumber, nastyString, nastyValue } from "./values.ts";

/** Just over the Discord body limit (64 KiB). */
const OVER_LIMIT = 64 * 1024 + 1;

/** One Discord case. */
export function discordCase(rng: Rng, index: number): CaseBody {
  const area = rng.weighted({
    "linked-command": 40,
    "unlinked-command": 6,
    options: 14,
    shape: 14,
    autocomplete: 8,
    "bad-json": 6,
    oversized: 3,
    signature: 7,
    ping: 2,
  });
  const id = String(1_300_000_000_000_000_000n + BigInt(index));
  const userId = area === "unlinked-command" ? rng.digits(rng.int(17, 19)) : DC_LINKED;
  const interaction: Record<string, unknown> = {
    id,
    application_id: DISCORD_APP_ID,
    type: 2,
    token: `fuzz-token-${index}-${rng.text(20)}`,
    version: 1,
    channel_id: "1200000000000000001",
    ...(rng.chance(0.5)
      ? { guild_id: "1100000000000000001", member: { user: user(userId), roles: [] } }
      : { user: user(userId) }),
  };
  let category = "";
  let signature: SignatureKind = "valid";
  let body: string | undefined;
  const command = (name: string, options: unknown[]) =>
    interaction.data = { id: "1000000000000000001", name, type: 1, options };
  switch (area) {
    case "linked-command":
    case "unlinked-command": {
      const picked = slashCommand(rng);
      command(picked.name, picked.options);
      category = picked.kind;
      break;
    }
    case "options": {
      const name = rng.pick(["add", "done", "link", "tasks"]);
      const value = nastyValue(rng);
      const shape = rng.pick(["value", "name", "type", "nested", "not-list", "entry"]);
      const option = { name: name === "done" ? "id" : name === "link" ? "code" : "title", type: 3 };
      const options = shape === "value"
        ? [{ ...option, value: value.value }]
        : shape === "name"
        ? [{ ...option, name: rng.pick(["", "__proto__", "TITLE", 5, null]), value: "x" }]
        : shape === "type"
        ? [{ ...option, type: rng.pick([1, 2, 99, -1, "3", null]), value: "x" }]
        : shape === "nested"
        ? [{ name: "sub", type: 1, options: [{ ...option, value: value.value }] }]
        : shape === "entry"
        ? [value.value, { ...option, value: "ok" }]
        : value.value;
      command(name, options as unknown[]);
      category = `${name}-${shape}-${value.kind}`;
      break;
    }
    case "shape": {
      const field = rng.pick([
        "id",
        "application_id",
        "type",
        "token",
        "data",
        "data.name",
        "member",
        "member.user",
        "user.id",
        "caller",
      ]);
      command("tasks", []);
      const broken = rng.pick([
        null,
        nastyValue(rng).value,
        rng.digits(rng.pick([20, 21, 40])),
        "-1",
      ]);
      if (field === "data.name") (interaction.data as Record<string, unknown>).name = broken;
      else if (field === "member.user") interaction.member = { user: broken };
      else if (field === "user.id") {
        delete interaction.member;
        interaction.user = { id: broken, username: "u" };
      } else if (field === "caller") {
        delete interaction.member;
        delete interaction.user;
      } else interaction[field] = broken;
      category = `${field}-${broken === null ? "null" : typeof broken}`;
      break;
    }
    case "autocomplete": {
      interaction.type = 4;
      const partial = rng.chance(0.5) ? nastyString(rng) : { kind: "number", value: rng.int(0, 9) };
      // Mostly what Discord sends while someone types into /done's id; sometimes not.
      const typical = rng.chance(0.7);
      command(typical ? "done" : rng.pick(["add", "nope", "done"]), [{
        name: typical ? "id" : rng.pick(["id", "title"]),
        type: typical ? 4 : rng.pick([3, 4]),
        value: partial.value,
        focused: typical ? true : rng.pick([true, "yes", false]),
      }]);
      category = partial.kind;
      break;
    }
    case "bad-json": {
      command("tasks", []);
      const bad = malformedBody(rng, JSON.stringify(interaction));
      body = bad.value;
      category = bad.kind;
      break;
    }
    case "oversized": {
      command("add", [{ name: "title", type: 3, value: "q".repeat(OVER_LIMIT) }]);
      category = "declared";
      break;
    }
    case "signature": {
      command("add", [{ name: "title", type: 3, value: `signed ${index}` }]);
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
    case "ping": {
      interaction.type = 1;
      interaction.data = nastyValue(rng).value;
      category = "with-junk";
      break;
    }
  }
  return {
    category: `${area}/${category}`,
    method: "POST",
    path: "/discord",
    headers: { "content-type": "application/json" },
    body: body ?? JSON.stringify(interaction),
    signature,
  };
}

function user(id: string): Record<string, unknown> {
  return { id, username: `fuzz${id.slice(-4)}`, global_name: "Fuzz", discriminator: "0" };
}

/** A slash command with options of nasty values, as a linked user would send it. */
function slashCommand(rng: Rng): { kind: string; name: string; options: unknown[] } {
  const title = nastyString(rng);
  const id = nastyNumber(rng);
  const kinds: Record<string, () => [string, unknown[]]> = {
    add: () => ["add", [{ name: "title", type: 3, value: title.value }]],
    "add-none": () => ["add", []],
    done: () => ["done", [{ name: "id", type: 4, value: id.value }]],
    "done-string": () => ["done", [{ name: "id", type: 3, value: String(id.value) }]],
    tasks: () => ["tasks", rng.chance(0.5) ? [] : [{ name: "extra", type: 3, value: "x" }]],
    whoami: () => ["whoami", []],
    help: () => ["help", []],
    link: () => ["link", [{ name: "code", type: 3, value: title.value }]],
    start: () => ["start", []],
    // Unlinks the fuzz account; the runner links it again after the case.
    unlink: () => ["unlink", []],
    unknown: () => [rng.pick(["nope", "ADD", "link-code", ""]), []],
    "extra-options": () => [
      "add",
      [{ name: "title", type: 3, value: "ok" }, { name: "title", type: 3, value: title.value }],
    ],
  };
  const kind = rng.weighted<string>({
    ...Object.fromEntries(Object.keys(kinds).map((k) => [k, 1])),
    add: 6,
    done: 2,
    unlink: 0.3,
  });
  const [name, options] = kinds[kind]();
  const suffix = kind === "add" || kind === "link" || kind === "extra-options"
    ? `-${title.kind}`
    : kind.startsWith("done")
    ? `-${id.kind}`
    : "";
  return { kind: `${kind}${suffix}`, name, options };
}
