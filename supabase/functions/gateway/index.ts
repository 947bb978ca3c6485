/**
 * The Supabase Edge Function entry point. Configuration is read and checked once at start-up: a
 * malformed variable stops the function with a message naming it.
 */
import { loadConfig } from "../_shared/config.ts";
import { createGateway } from "./gateway.ts";

Deno.serve(createGateway(loadConfig()));
