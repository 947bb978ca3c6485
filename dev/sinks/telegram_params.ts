/**
 * Telegram sink helper: a Bot API call's parameters, merged from the query string and a JSON,
 * urlencoded or multipart body, with form values that the Bot API takes as JSON parsed.
 *
 * @module
 */

import { TelegramError } from "./telegram_state.ts";

/** Parameters whose form-encoded values are JSON, as in the Bot API. */
const JSON_FIELDS = new Set([
  "reply_markup",
  "entities",
  "caption_entities",
  "commands",
  "scope",
  "allowed_updates",
  "link_preview_options",
  "reply_parameters",
]);

/** Merges query parameters with a JSON, urlencoded or multipart body. */
export async function readParams(req: Request): Promise<Record<string, unknown>> {
  const params: Record<string, unknown> = {};
  for (const [k, v] of new URL(req.url).searchParams) params[k] = fromForm(k, v);
  if (req.method === "GET" || req.method === "HEAD" || !req.body) return params;
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  if (type.includes("multipart/form-data") || type.includes("x-www-form-urlencoded")) {
    let form: FormData;
    try {
      form = await req.formData();
    } catch {
      throw new TelegramError(400, "Bad Request: can't parse request body");
    }
    for (const [k, v] of form) {
      params[k] = typeof v === "string"
        ? fromForm(k, v)
        : { file_name: v.name, mime_type: v.type, file_size: v.size };
    }
    return params;
  }
  const text = await req.text();
  if (text.trim() === "") return params;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TelegramError(400, "Bad Request: can't parse JSON encoded request body");
  }
  if (json && typeof json === "object" && !Array.isArray(json)) Object.assign(params, json);
  return params;
}

function fromForm(key: string, value: string): unknown {
  if (!JSON_FIELDS.has(key)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
