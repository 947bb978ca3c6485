/**
 * Slack's ids and the fields every kind of request names the caller with, checked the same way
 * for slash commands, interactions and events: the account `<team id>:<user id>`, the app id,
 * Slack's escaping of what people type, and the one 400 for a request that is not Slack's shape.
 */
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import type { ChatAccount } from "../../supabase/functions/_shared/principal.ts";

// Slack's ids: T… workspaces (E… for an org-wide install), U… and W… (Enterprise Grid) users.
export const TEAM = /^[TE][A-Z0-9]{2,20}$/;
export const USER = /^[UW][A-Z0-9]{2,20}$/;
export const APP = /^A[A-Z0-9]{2,20}$/;

/** A JSON object. */
export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);
export const text = (v: unknown) => (typeof v === "string" ? v : undefined);

/** The Slack account `<team id>:<user id>`; 400 when either is missing or not Slack's shape. */
export function account(
  team: string | undefined,
  user: string | undefined,
  name?: string,
): ChatAccount {
  if (!team || !TEAM.test(team) || !user || !USER.test(user)) {
    throw malformed("it names no Slack workspace and user");
  }
  return {
    provider: "slack",
    externalId: `${team}:${user}`,
    ...(name ? { username: name.slice(0, 100) } : {}),
  };
}

/** The app id when it is one (Slack sends it with every request; older fixtures lack it). */
export function appId(value: unknown): { apiAppId?: string } {
  return typeof value === "string" && APP.test(value) ? { apiAppId: value } : {};
}

/** Slack escapes `&`, `<` and `>` in what people type; the command reads the text as typed. */
export function unescapeSlack(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** The 400 for a request that is not Slack's shape, saying why. */
export function malformed(why: string): GatewayError {
  return new GatewayError(400, "invalid_args", `Malformed Slack request: ${why}.`);
}
