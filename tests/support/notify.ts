/**
 * Helpers of the notification tests: accounts linked straight in the database (the linking flow
 * has tests of its own), a trigger on `tasks` that notifies (created by the test with psql, as an
 * app's migration would), and the outbox rows read as the superuser.
 */
import { psql, randomExternalId } from "../fixtures.ts";

/** Links a chat account to `userId` directly (as consume_link_code would); returns its id. */
export async function linkAccount(
  userId: string,
  provider: "telegram" | "discord" | "slack",
  externalId = randomExternalId(),
  notify = true,
): Promise<string> {
  await psql(
    `insert into public.chat_identities (user_id, provider, external_id, notify)
     values ('${userId}', '${provider}', '${externalId}', ${notify})`,
  );
  return externalId;
}

/** One outbox row, as the superuser reads it. */
export interface DeliveryRow {
  id: number;
  notification_id: string;
  provider: string;
  external_id: string;
  bot: string;
  status: string;
  attempts: number;
  last_error: string | null;
  sent_at: string | null;
  next_attempt_at: string | null;
}

/** The deliveries of a user's notifications, oldest first. */
export async function deliveriesOf(userId: string): Promise<DeliveryRow[]> {
  const out = await psql(
    `select coalesce(json_agg(d order by d.id), '[]') from (
       select id, notification_id, provider, external_id, bot, status, attempts, last_error,
         sent_at, next_attempt_at
       from public.notification_deliveries where user_id = '${userId}') d`,
  );
  return JSON.parse(out);
}

/**
 * A trigger on public.tasks that notifies the owner when a task is marked done, in the
 * transaction that marks it (security definer: it runs as its owner, who may call
 * gateway_notify; the web app's users may not). Idempotent.
 */
export async function createDoneTrigger(): Promise<void> {
  await psql(`
    create or replace function public.test_notify_task_done() returns trigger
    language plpgsql security definer set search_path = '' as $$
    begin
      if new.done and not old.done then
        perform public.gateway_notify(
          new.user_id,
          'Done: ' || new.title,
          jsonb_build_array(jsonb_build_object(
            'label', 'Undo', 'command', 'undo', 'args', jsonb_build_object('id', new.id))),
          'task-done:' || new.id
        );
      end if;
      return new;
    end $$;
    drop trigger if exists test_notify_task_done on public.tasks;
    create trigger test_notify_task_done after update of done on public.tasks
      for each row execute function public.test_notify_task_done();
  `);
}

/** Settles every pending delivery of `userId` (so later tests' drains do not meet them). */
export async function settleDeliveries(userId: string): Promise<void> {
  await psql(
    `update public.notification_deliveries set status = 'dead', next_attempt_at = null,
       last_error = 'test over' where user_id = '${userId}' and status = 'pending'`,
  );
}

/** What a drain did, as `POST /notify/drain` says. */
export interface DrainData {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  dead: number;
  skipped: number;
  lost: number;
  ms: number;
  more: boolean;
}

/** `POST /notify/drain` with the service key. */
export async function drainNow(
  gw: { request(path: string, init?: RequestInit): Promise<Response>; env: Record<string, string> },
): Promise<DrainData> {
  const res = await gw.request("/notify/drain", {
    method: "POST",
    headers: { authorization: `Bearer ${gw.env.SUPABASE_SERVICE_ROLE_KEY}` },
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`drain answered ${res.status}: ${JSON.stringify(body)}`);
  return body.data;
}

/** `POST /notify` with `bearer` (default: the service key); status and JSON body. */
export async function postNotify(
  gw: { request(path: string, init?: RequestInit): Promise<Response>; env: Record<string, string> },
  body: unknown,
  bearer: string | null = gw.env.SUPABASE_SERVICE_ROLE_KEY,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await gw.request("/notify", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}
