/** The entry point with the demo commands plus `slow-add` (tests/support/slow_command.ts). */
import { loadConfig } from "../../supabase/functions/_shared/config.ts";
import { createGateway } from "../../supabase/functions/gateway/gateway.ts";
import { commands } from "../../supabase/functions/gateway/commands/mod.ts";
import { slowAdd } from "./slow_command.ts";

Deno.serve(createGateway(loadConfig(), { commands: [...commands, slowAdd] }));
