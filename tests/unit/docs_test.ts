/**
 * The docs hold together, without a stack: README.md stays a front page (at most 300 lines) that
 * lists every page in docs/; every relative link in README.md and docs/*.md reaches a file and,
 * with a `#anchor`, a heading of that file (GitHub's slugs); every `deno task NAME` shown in a
 * shell block or inline code names a task in deno.json, so the commands run as written.
 */
import { assert, assertEquals } from "../assert.ts";
import { REPO_ROOT } from "../../dev/paths.ts";

const README_MAX_LINES = 300;

/** A Markdown file of the docs: its path from the repository root and its text. */
interface Page {
  path: string;
  text: string;
}

function pages(): Page[] {
  const paths = ["README.md"];
  for (const entry of Deno.readDirSync(`${REPO_ROOT}/docs`)) {
    if (entry.isFile && entry.name.endsWith(".md")) paths.push(`docs/${entry.name}`);
  }
  return paths.sort().map((path) => ({
    path,
    text: Deno.readTextFileSync(`${REPO_ROOT}/${path}`),
  }));
}

/** Fenced code blocks (with their language) and the prose around them, kept apart. */
function split(text: string): { prose: string[]; blocks: { lang: string; body: string }[] } {
  const prose: string[] = [];
  const blocks: { lang: string; body: string }[] = [];
  let fence: { marker: string; lang: string; lines: string[] } | null = null;
  for (const line of text.split("\n")) {
    const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (fence) {
      if (open && open[1].startsWith(fence.marker) && !open[2]) {
        blocks.push({ lang: fence.lang, body: fence.lines.join("\n") });
        fence = null;
      } else fence.lines.push(line);
    } else if (open) fence = { marker: open[1], lang: open[2].toLowerCase(), lines: [] };
    else prose.push(line);
  }
  return { prose, blocks };
}

/** Prose without HTML comments and inline code, where links and headings are read. */
function plainProse(text: string): string[] {
  return split(text).prose.join("\n").replace(/<!--[\s\S]*?-->/g, "")
    .replace(/`[^`\n]*`/g, (code) => " ".repeat(code.length)).split("\n");
}

/**
 * GitHub's heading anchor (github-slugger, on the rendered text): lower-case, every character that
 * is not a letter, digit, mark, `_`, `-` or space removed, spaces to `-`; repeats get `-1`, `-2`.
 */
export function slugs(headings: string[]): string[] {
  const seen = new Map<string, number>();
  return headings.map((heading) => {
    const rendered = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/[*`]/g, "");
    const base = rendered.trim().toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
      .replace(/ /g, "-");
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count ? `${base}-${count}` : base;
  });
}

/** The anchors a page offers: its headings' slugs (code blocks left out) and `<a id|name>`. */
function anchors(text: string): Set<string> {
  const { prose } = split(text);
  const headings = prose.map((l) => /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(l)?.[1]).filter(
    (h): h is string => h !== undefined,
  );
  const html = [...prose.join("\n").matchAll(/<a\s+(?:id|name)="([^"]+)"/g)].map((m) => m[1]);
  return new Set([...slugs(headings), ...html]);
}

/** Relative link targets in a page's prose (absolute URLs left out). */
function relativeLinks(text: string): string[] {
  const targets: string[] = [];
  for (const line of plainProse(text)) {
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      if (!/^[a-z][a-z0-9+.-]*:/i.test(m[1])) targets.push(m[1]);
    }
  }
  return targets;
}

/** `deno task NAME` in shell-like blocks and inline code; placeholders (`…`, `<x>`) skipped. */
function taskNames(text: string): string[] {
  const { prose, blocks } = split(text);
  const shown = blocks.filter((b) => ["sh", "bash", "shell", "console", "text"].includes(b.lang))
    .map((b) => b.body);
  for (const m of prose.join("\n").matchAll(/`([^`\n]+)`/g)) shown.push(m[1]);
  const names: string[] = [];
  for (const code of shown) {
    for (
      const m of code.matchAll(/(?:^|[\s;&|($])(?:\.\/)?deno task((?:\s+-\S+)*)\s+([^\s;&|)"']+)/gm)
    ) {
      if (!/^(…|<)/.test(m[2])) names.push(m[2]);
    }
  }
  return names;
}

function resolve(from: string, target: string): string {
  const url = new URL(target, `file:///${from}`);
  return decodeURIComponent(url.pathname.slice(1));
}

Deno.test("docs", async (t) => {
  const all = pages();
  const byPath = new Map(all.map((p) => [p.path, p]));

  await t.step("slugs follow GitHub's rules", () => {
    assertEquals(
      slugs([
        "Routes (under `/functions/v1/gateway`)",
        "What `./deno task dev` runs",
        "Buttons (interactive replies)",
        "Use it in your app",
        "Use it in your app",
        "Idempotency-Key",
        "snake_case and [a link](x.md)",
      ]),
      [
        "routes-under-functionsv1gateway",
        "what-deno-task-dev-runs",
        "buttons-interactive-replies",
        "use-it-in-your-app",
        "use-it-in-your-app-1",
        "idempotency-key",
        "snake_case-and-a-link",
      ],
    );
  });

  await t.step("README.md is a front page: at most 300 lines", () => {
    const lines = byPath.get("README.md")!.text.replace(/\n$/, "").split("\n").length;
    assert(lines <= README_MAX_LINES, `README.md has ${lines} lines (at most ${README_MAX_LINES})`);
  });

  await t.step("every page in docs/ is listed in README.md", () => {
    const listed = new Set(
      relativeLinks(byPath.get("README.md")!.text).map((l) => l.split("#")[0]),
    );
    const missing = all.map((p) => p.path).filter((p) => p.startsWith("docs/") && !listed.has(p));
    assertEquals(missing, [], "pages README.md does not link");
  });

  await t.step("every relative link reaches a file, and a heading when it names one", () => {
    const broken: string[] = [];
    for (const page of all) {
      for (const link of relativeLinks(page.text)) {
        const [path, anchor] = link.split("#", 2);
        const file = path ? resolve(page.path, path) : page.path;
        const stat = (() => {
          try {
            return Deno.statSync(`${REPO_ROOT}/${file}`);
          } catch {
            return null;
          }
        })();
        if (!stat) broken.push(`${page.path}: ${link} (no file ${file})`);
        else if (anchor !== undefined) {
          const text = stat.isFile
            ? byPath.get(file)?.text ?? Deno.readTextFileSync(`${REPO_ROOT}/${file}`)
            : "";
          if (!anchors(text).has(anchor)) {
            broken.push(`${page.path}: ${link} (no heading #${anchor} in ${file})`);
          }
        }
      }
    }
    assertEquals(broken, [], "broken links");
  });

  await t.step("security.md names every function the service role may execute", () => {
    const granted = new Set<string>();
    for (const entry of Deno.readDirSync(`${REPO_ROOT}/supabase/migrations`)) {
      const sql = Deno.readTextFileSync(`${REPO_ROOT}/supabase/migrations/${entry.name}`);
      for (
        const m of sql.matchAll(
          /grant execute on function public\.(\w+)\([^)]*\)\s+to\s+service_role/gi,
        )
      ) {
        granted.add(m[1]);
      }
    }
    const bullet = byPath.get("docs/security.md")!.text.split(/\n(?=- )/)
      .find((b) => b.startsWith("- The service role executes only"));
    assert(bullet, "docs/security.md: no bullet 'The service role executes only'");
    const named = new Set([...bullet.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]));
    assertEquals([...named].sort(), [...granted].sort());
  });

  await t.step("every `deno task NAME` shown names a task in deno.json", () => {
    const tasks = Object.keys(JSON.parse(Deno.readTextFileSync(`${REPO_ROOT}/deno.json`)).tasks);
    const unknown = all.flatMap((page) =>
      taskNames(page.text).filter((n) => !tasks.includes(n)).map((n) => `${page.path}: ${n}`)
    );
    assertEquals(unknown, [], `tasks not in deno.json (${tasks.join(", ")})`);
  });
});
