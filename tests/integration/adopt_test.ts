/**
 * The "Use it in your app" section of docs/adopt.md, followed to the letter in a copy of this
 * repository: its shell commands run as written, the registration it describes is made, then the
 * copy's own `deno task check` and the tests that derive from the registry must pass (COPY_TESTS),
 * the template's test among them (a new command, its migration and table, on HTTPS, Telegram and Discord). In the copy this
 * test skips itself (GATEWAY_ADOPT_COPY), so the suite does not recurse.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { stackSetting } from "../fixtures.ts";

const IN_COPY = Deno.env.get("GATEWAY_ADOPT_COPY") === "1";
/** What the copy runs: the unit tests and the integration tests that derive from the registry. */
const COPY_TESTS = [
  "tests/unit/",
  "tests/integration/notes_test.ts",
  "tests/integration/registry_test.ts",
  "tests/integration/openapi_test.ts",
  "tests/integration/telegram_webhook_test.ts",
  "tests/integration/slack_test.ts",
  "tests/integration/local_tasks_test.ts",
];

Deno.test({
  name: "the 'Use it in your app' section works as written",
  ignore: IN_COPY,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const copy = `${stackSetting("STACK_STATE_DIR")}/adopt-copy`;
    const section = docsSection("docs/adopt.md", "Use it in your app");
    const shell = fenced(section, "sh");
    const registration = fenced(section, "ts");
    const timings: string[] = [];
    const timed = async <T>(what: string, work: () => Promise<T>) => {
      const started = performance.now();
      const out = await work();
      timings.push(`${what} ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return out;
    };

    await t.step("a copy of the repository, as a fresh clone has it", async () => {
      await timed("copy", () => copyRepository(copy));
    });

    await t.step("the section's commands, as written", async () => {
      assert(shell.includes("templates/command/notes.ts"), shell);
      const run = await sh(copy, shell);
      assertEquals(run.code, 0, run.output);
      const mod = `${copy}/supabase/functions/gateway/commands/mod.ts`;
      const importLine = registration.split("\n").find((l) => l.startsWith("import "))!;
      assertMatch(importLine, /^import \{ note, notes \} from "\.\/notes\.ts";$/);
      // "add the import and put `note` and `notes` at the end of the list"
      let source = await Deno.readTextFile(mod);
      const lastImport = source.lastIndexOf("\nimport ");
      const afterImports = source.indexOf("\n", source.indexOf(";", lastImport)) + 1;
      source = source.slice(0, afterImports) + importLine + "\n" + source.slice(afterImports);
      source = source.replace(/\n\];\n/, "\n  note,\n  notes,\n];\n");
      await Deno.writeTextFile(mod, source);
    });

    await t.step("the copy's checks pass (fmt, lint, types)", async () => {
      const run = await timed("check", () => sh(copy, "./deno task check"));
      assertEquals(run.code, 0, run.output.slice(-3000));
    });

    await t.step(
      "the copy's registry-derived tests pass, the new command's test among them",
      async () => {
        // Not the copy's whole suite: it would run every test of the unchanged machinery a second
        // time (minutes). These are the tests whose expectations come from the registry, where a
        // new command meets every channel's rules, plus the new command's own test.
        const run = await timed(
          "suite",
          () => sh(copy, `./deno task test ${COPY_TESTS.join(" ")}`),
        );
        assertEquals(run.code, 0, run.output.slice(-5000));
        assertMatch(run.output, /notes on every channel, each user's own \.\.\. ok/);
        // The runner's last line on stdout; stderr (the stack's own lines) is kept apart.
        assertMatch(run.stdout, /\n\d+ passed, 0 failed\n?$/);
      },
    );
    console.log(`adopting took: ${timings.join(", ")}`);
  },
});

/** The `## title` section of a docs page, up to the next `## ` heading. */
function docsSection(page: string, title: string): string {
  const text = Deno.readTextFileSync(`${REPO_ROOT}/${page}`);
  const start = text.indexOf(`\n## ${title}\n`);
  assert(start >= 0, `${page} has no section "${title}"`);
  const end = text.indexOf("\n## ", start + 1);
  return text.slice(start, end === -1 ? undefined : end);
}

function fenced(text: string, lang: string): string {
  const match = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(text);
  assert(match, `no ${lang} block`);
  return match[1];
}

/** Copies what a clone has (tracked and new, not ignored files); tools are linked, not installed. */
async function copyRepository(to: string): Promise<void> {
  await Deno.remove(to, { recursive: true }).catch(() => {});
  const list = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: REPO_ROOT,
    stdout: "piped",
  }).output();
  for (const path of new TextDecoder().decode(list.stdout).split("\0").filter(Boolean)) {
    const target = `${to}/${path}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${REPO_ROOT}/${path}`, target).catch((err) => {
      if (!(err instanceof Deno.errors.NotFound)) throw err; // deleted, not yet committed
    });
  }
  await Deno.chmod(`${to}/deno`, 0o755);
  await Deno.symlink(`${REPO_ROOT}/tools/node_modules`, `${to}/tools/node_modules`);
}

async function sh(
  cwd: string,
  script: string,
): Promise<{ code: number; output: string; stdout: string }> {
  const out = await new Deno.Command("bash", {
    args: ["-euo", "pipefail", "-c", script],
    cwd,
    env: { GATEWAY_ADOPT_COPY: "1", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  const stdout = decode(out.stdout);
  return { code: out.code, output: stdout + decode(out.stderr), stdout };
}
