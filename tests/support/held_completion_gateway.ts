/**
 * The entry point, except that its ledger completions never reach the database: a gateway that
 * answers, then dies (the test kills it) before the ledger has stored its answer.
 */
import { loadConfig } from "../../supabase/functions/_shared/config.ts";
import { createHttp1Fetch } from "../../supabase/functions/_shared/http1.ts";
import { createGateway } from "../../supabase/functions/gateway/gateway.ts";

const real = createHttp1Fetch();
const heldFetch: typeof fetch = (input, init) => {
  const url = input instanceof Request ? input.url : String(input);
  if (url.includes("/rpc/gateway_complete_deliver")) return new Promise<Response>(() => {});
  return real(input, init);
};

Deno.serve(createGateway(loadConfig(), { fetch: heldFetch }));
