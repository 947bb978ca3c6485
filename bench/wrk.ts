/**
 * Load from `wrk` (Debian package `wrk`): a C load generator, so the machine's two cores go to
 * the gateway, PostgREST and PostgreSQL rather than to a JavaScript client. A scenario is a
 * request template; bodies that must be unique per request (Telegram update ids, signed Discord
 * interactions) come from a counter or from a file of pre-built requests, one per line.
 */

/** One request shape for wrk. */
export interface Scenario {
  method: "GET" | "POST";
  /** Absolute URL. */
  url: string;
  headers: Record<string, string>;
  /** A fixed body, or one with `{{n}}` replaced by a per-request counter. */
  body?: string;
  /**
   * Pre-built requests, one per line: `header-value<TAB>header-value…<TAB>body`, the header names
   * in `lineHeaders`. Used in order; running out is reported (`wrapped`).
   */
  lines?: { file: string; lineHeaders: string[] };
}

/** What one wrk run measured. */
export interface WrkResult {
  requests: number;
  perSecond: number;
  /** Non-2xx answers plus socket errors and timeouts. */
  errors: number;
  p50: number;
  p99: number;
  /** Whether pre-built lines ran out and were reused. */
  wrapped: boolean;
}

const luaString = (s: string) => JSON.stringify(s); // a JSON string literal is a valid Lua one here

function script(s: Scenario, counterBase: number, lineOffset: number): string {
  const url = new URL(s.url);
  const headers = Object.entries(s.headers)
    .map(([k, v]) => `wrk.headers[${luaString(k)}] = ${luaString(v)}`).join("\n");
  const body = s.body ?? "";
  const lines = s.lines;
  return `
wrk.method = ${luaString(s.method)}
wrk.path = ${luaString(url.pathname + url.search)}
${headers}
local template = ${luaString(body)}
local counter = ${counterBase}
local lines = {}
local used = ${lineOffset}
local names = {${(lines?.lineHeaders ?? []).map(luaString).join(", ")}}
${lines ? `for line in io.lines(${luaString(lines.file)}) do lines[#lines + 1] = line end` : ""}
request = function()
  counter = counter + 1
  ${
    lines
      ? `used = used + 1
  local line = lines[((used - 1) % #lines) + 1]
  local parts = {}
  for part in string.gmatch(line, "[^\\t]+") do parts[#parts + 1] = part end
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  for i, name in ipairs(names) do h[name] = parts[i] end
  return wrk.format(nil, nil, h, parts[#parts])`
      : `return wrk.format(nil, nil, nil, (string.gsub(template, "{{n}}", tostring(counter))))`
  }
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"requests":%d,"duration_us":%d,"errors":%d,"p50_us":%d,"p99_us":%d,"wrapped":%s}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), tostring(${lines ? "used > #lines" : "false"})))
end
`;
}

let runs = 0;

/**
 * Runs wrk for `seconds` with `connections` on one thread. `counterBase` keeps `{{n}}` unique
 * across runs; `lineOffset` is where in the pre-built lines this run starts.
 */
export async function wrk(
  s: Scenario,
  connections: number,
  seconds: number,
  counterBase = 0,
  lineOffset = 0,
): Promise<WrkResult> {
  const file = await Deno.makeTempFile({ prefix: `bench-${runs++}-`, suffix: ".lua" });
  try {
    await Deno.writeTextFile(file, script(s, counterBase, lineOffset));
    const out = await new Deno.Command("wrk", {
      args: ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "10s", "-s", file, s.url],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    const json = text.split("\n").find((l) => l.startsWith("{"));
    if (!out.success || !json) {
      throw new Error(`wrk failed: ${new TextDecoder().decode(out.stderr).trim() || text}`);
    }
    const r = JSON.parse(json);
    return {
      requests: r.requests,
      perSecond: r.requests / (r.duration_us / 1e6),
      errors: r.errors,
      p50: r.p50_us / 1000,
      p99: r.p99_us / 1000,
      wrapped: r.wrapped,
    };
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/** Makes sure `wrk` is installed (Debian's package, as root), or says how to get it. */
export const ensureWrk = (log: (line: string) => void) => ensureDebianPackage("wrk", "wrk", log);

/**
 * Makes sure `command` is on the PATH, installing Debian's `pkg` (as root) when it is missing, or
 * says how to get it.
 */
export async function ensureDebianPackage(
  command: string,
  pkg: string,
  log: (line: string) => void,
): Promise<void> {
  const found = await new Deno.Command("sh", {
    args: ["-c", `command -v ${command}`],
    stdout: "null",
  }).output();
  if (found.success) return;
  log(`installing ${pkg} (apt-get install ${pkg})`);
  const install = await new Deno.Command("sh", {
    args: ["-c", `apt-get install -y ${pkg} || (apt-get update && apt-get install -y ${pkg})`],
    stdout: "null",
    stderr: "null",
  }).output();
  if (!install.success) {
    throw new Error(`${command} is not installed: run \`apt-get install ${pkg}\` as root`);
  }
}
