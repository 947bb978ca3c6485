/**
 * Checks of the OpenAPI document against what the gateway really answered (for
 * `openapi_test.ts`): is each (path, method, status) documented, with its headers and error
 * codes, and does the body match the documented schema; plus Redocly's lint.
 */
import type SwaggerParser from "@apidevtools/swagger-parser";
import type { Ajv2020 } from "ajv/dist/2020.js";
import { REPO_ROOT } from "../../dev/paths.ts";

/** One answer of the gateway, as the document must describe it. */
export interface Observed {
  label: string;
  method: string;
  path: string;
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

// deno-lint-ignore no-explicit-any
export type Doc = Record<string, any>;

/** swagger-parser's document type (it takes the parsed JSON as it is). */
export type ParsedDocument = NonNullable<Parameters<SwaggerParser.ApiCallback>[1]>;

/** Follows a local `$ref` (`#/components/...`) once. */
export function resolve(doc: Doc, node: Doc | undefined): Doc | undefined {
  if (!node?.$ref) return node;
  return (node.$ref as string).slice(2).split("/").reduce((n: Doc, k) => n?.[k], doc);
}

const ACTED_ON = ["retry-after", "allow", "www-authenticate", "idempotent-replayed"];
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** What the document gets wrong or leaves out about one answer (empty: fully described). */
export function gaps(doc: Doc, seen: Observed): string[] {
  const at = `${seen.method} ${seen.path} ${seen.status} (${seen.label})`;
  const item = doc.paths?.[seen.path];
  if (!item) return [`${at}: path not documented`];
  if (seen.status === 405) {
    // Answered for a method the path lacks: every operation of the path documents the 405, and
    // the Allow header names exactly the documented methods.
    const ops = METHODS.filter((m) => item[m]);
    const missing = ops.filter((m) => !item[m].responses?.["405"]).map((m) => `${m} lacks 405`);
    const allow = (seen.headers.get("allow") ?? "").split(/,\s*/).map((m) => m.toLowerCase());
    if (allow.sort().join() !== ops.sort().join()) {
      missing.push(`Allow "${seen.headers.get("allow")}" but documented: ${ops.join(", ")}`);
    }
    return missing.map((m) => `${at}: ${m}`);
  }
  const op = item[seen.method.toLowerCase()];
  if (!op) return [`${at}: operation not documented`];
  const response = resolve(doc, op.responses?.[String(seen.status)]);
  if (!response) return [`${at}: status not documented`];
  const problems: string[] = [];
  const documented = Object.keys(response.headers ?? {}).map((h) => h.toLowerCase());
  for (const h of ACTED_ON) {
    if (seen.headers.has(h) && !documented.includes(h)) problems.push(`header ${h} undocumented`);
  }
  const schema = resolve(doc, response.content?.["application/json"]?.schema);
  if (!schema) problems.push("no JSON schema");
  if (seen.status >= 400 && schema) {
    const codes: string[] = schema.properties?.error?.properties?.code?.enum ?? [];
    const code = (seen.body.error as { code?: string } | undefined)?.code ?? "(none)";
    if (!codes.includes(code)) problems.push(`error code ${code} not among ${codes.join(", ")}`);
  }
  return problems.map((p) => `${at}: ${p}`);
}

/** How the body departs from the documented schema (the document with its $refs resolved). */
export function bodyGaps(plain: Doc, ajv: Ajv2020, seen: Observed): string[] {
  const item = plain.paths?.[seen.path] ?? {};
  const op = item[seen.method.toLowerCase()] ?? item[METHODS.find((m) => item[m]) ?? ""];
  const schema = op?.responses?.[String(seen.status)]?.content?.["application/json"]?.schema;
  if (!schema) return []; // reported by gaps()
  const validate = ajv.compile(schema);
  if (validate(seen.body)) return [];
  return [
    `${seen.method} ${seen.path} ${seen.status} (${seen.label}): body ${
      ajv.errorsText(validate.errors)
    }`,
  ];
}

export interface LintProblem {
  ruleId: string;
  severity: string;
  message: string;
  location?: { pointer: string }[];
}

/** Runs `redocly lint` (installed into tools/ by ./deno) on the document. */
export async function redoclyLint(doc: Doc): Promise<LintProblem[]> {
  const cli = `${REPO_ROOT}/tools/node_modules/@redocly/cli/bin/cli.js`;
  await Deno.stat(cli).catch(() => {
    throw new Error(`${cli} is missing: run ./deno once to install the tools.`);
  });
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/openapi.json`, JSON.stringify(doc, null, 2));
    const out = await new Deno.Command("node", {
      args: [cli, "lint", "--extends=recommended", "--format=json", "openapi.json"],
      cwd: dir,
      env: { REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (!text.trim().startsWith("{")) {
      throw new Error(`redocly lint failed: ${new TextDecoder().decode(out.stderr).slice(-2000)}`);
    }
    const report = JSON.parse(text) as { problems: LintProblem[] };
    return report.problems.map(({ ruleId, severity, message, location }) => ({
      ruleId,
      severity,
      message,
      location: location?.map((l) => ({ pointer: l.pointer })),
    }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
