/**
 * Notifications, the gateway's side: `POST /notify` (a server enqueues; 202 with the id) and
 * `POST /notify/drain` (a bounded drain now, saying what it did), both for a service or secret
 * key only. Enqueueing calls `gateway_notify` (the same function SQL triggers call) and then
 * starts a drain in the background, so a server's notification goes at once; what SQL enqueues
 * is drained when pg_net wakes `/notify/drain`, on the pg_cron schedule, or on the local stack's
 * timer. The drain and the senders are loaded on first use.
 */
import type { Core } from "../../supabase/functions/_shared/core.ts";
import { GatewayError } from "../../supabase/functions/_shared/errors.ts";
import { json } from "../../supabase/functions/_shared/http.ts";
import type { Route } from "../../supabase/functions/_shared/router.ts";
import type { Drainer, DrainOptions, DrainSummary } from "./drain.ts";

/** The notification routes and the drain (for the local stack's timer and tests). */
export interface Notifications {
  routes: Route[];
  drain(options?: DrainOptions): Promise<DrainSummary>;
}

/** Builds the notification side of the gateway. */
export function createNotifications(core: Core): Notifications {
  let loading: Promise<Drainer> | undefined;
  const drainer = () =>
    loading ??= Promise.all([import("./drain.ts"), import("./senders.ts")])
      .then(([{ createDrainer }, { NOTIFIERS }]) => createDrainer(core, NOTIFIERS))
      .catch((err) => {
        loading = undefined;
        throw err;
      });
  const drain = async (options?: DrainOptions) => (await drainer()).drain(options);
  let request: Promise<typeof import("./request.ts")> | undefined;
  const checks = () => request ??= import("./request.ts");
  let caller: ((req: Request) => Promise<void>) | undefined;
  const authorize = async (req: Request) => {
    const { notifyCaller } = await checks();
    caller ??= notifyCaller(core);
    await caller(req);
  };

  const routes: Route[] = [
    {
      method: "POST",
      path: "/notify",
      async handle(req, _params, record) {
        record.channel = "notify";
        await authorize(req);
        const body = await (await checks()).readNotifyRequest(core, req);
        const id = await core.rpc<string>("gateway_notify", { ...body }).catch((err) => {
          // Every value was checked above: what the database refuses is the user.
          if (err instanceof GatewayError && err.status === 400) {
            throw new GatewayError(400, "invalid_args", "No user has this user_id.");
          }
          throw inWordsOfTheRoute(
            err,
            body.key === null
              ? "the notification may or may not have been enqueued. A retry without a key may " +
                "enqueue it twice: send a key to make retries safe."
              : "the notification may or may not have been enqueued. Retry with the same key: " +
                "it is enqueued once.",
          );
        });
        record.notification = id;
        core.background(
          drain().catch((err) => {
            core.log.warn("notification drain failed", {
              error: err instanceof GatewayError ? err.code : "internal",
            });
          }),
        );
        return json({ ok: true, data: { id } }, 202);
      },
    },
    {
      method: "POST",
      path: "/notify/drain",
      async handle(req, _params, record) {
        record.channel = "notify";
        await authorize(req);
        await req.body?.cancel();
        const summary = await drain().catch((err) => {
          throw inWordsOfTheRoute(
            err,
            "rows it may have claimed go out once their lease ends. Drain again later.",
          );
        });
        Object.assign(record, { drained: summary.claimed, sent: summary.sent });
        return json({ ok: true, data: summary });
      },
    },
  ];
  return { routes, drain };
}

/**
 * A database timeout (504) said in the words of a notification route: the shared message speaks
 * of an Idempotency-Key, which these routes do not take.
 */
function inWordsOfTheRoute(err: unknown, outcome: string): unknown {
  if (!(err instanceof GatewayError) || err.status !== 504) return err;
  return new GatewayError(504, err.code, `The database did not answer in time; ${outcome}`);
}
