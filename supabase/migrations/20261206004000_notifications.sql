-- Notifications: the app speaks first. `public.gateway_notify(...)` enqueues a message for a user
-- inside the caller's own transaction (a trigger, a service), so a notification exists if and
-- only if the change that caused it committed. Each of the user's linked chat accounts gets one
-- row in `public.notification_deliveries`, the outbox the gateway drains: it claims due rows
-- (FOR UPDATE SKIP LOCKED, with a lease, so two gateway instances never send one row twice and a
-- crashed drainer's rows come back when the lease ends), sends them, and reports each outcome.
-- Users read their own rows there under RLS ("sent to Telegram at 10:02", "not sent: you blocked
-- the bot") and switch notifications per linked account (`chat_identities.notify`).
--
-- Why tables of our own and not Supabase Queues (pgmq): pgmq is not available on the local stack
-- (Debian's PostgreSQL ships no pgmq), and the outbox needs what a queue does not keep anyway:
-- one row per notification and account that its owner can read under RLS, with a status, the
-- attempts, the next attempt and the last error in words a person can read.
--
-- Statuses: pending (due at next_attempt_at; being sent while lease_until is ahead), sent,
-- failed (the platform refused for good: the user blocked the bot, no such chat; never retried),
-- dead (given up after the gateway's maximum attempts; last_error says why), skipped (nothing
-- was sent: notifications off for that account at enqueue time, no bot of that name on the
-- platform, the account unlinked before the send).

-- The owner decides, per linked account: notify (default on). Only this column is theirs to
-- change through the Data API.
alter table public.chat_identities add column notify boolean not null default true;
comment on column public.chat_identities.notify is
  'Whether notifications (gateway_notify) are sent to this account. The owner may change it.';

create policy "users choose notifications for their accounts" on public.chat_identities
  for update to authenticated
  using ((select auth.uid()) = user_id)
  with check ((select auth.uid()) = user_id);
grant update (notify) on public.chat_identities to authenticated;

-- One row per notification: what to say and which bot says it.
create table gateway_private.notifications (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references auth.users (id) on delete cascade,
  text text not null check (char_length(text) between 1 and 2000),
  -- Buttons as rows of {label, command, args?, style?, then?} (shape checked here, arguments
  -- against the command registry by the gateway).
  actions jsonb,
  -- Enqueueing is idempotent per user and key.
  key text check (char_length(key) between 1 and 200),
  bot text not null check (bot ~ '^[a-z0-9][a-z0-9-]{0,31}$'),
  created_at timestamptz not null default now(),
  constraint notifications_user_key unique (user_id, key)
);

create index notifications_created_idx on gateway_private.notifications (created_at);

-- The outbox: one row per notification and recipient account.
create table public.notification_deliveries (
  id bigint generated always as identity primary key,
  created_at timestamptz not null default now(),
  notification_id uuid not null references gateway_private.notifications (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  provider text not null,
  external_id text not null,
  bot text not null,
  status text not null default 'pending'
    check (status in ('pending', 'sent', 'failed', 'dead', 'skipped')),
  -- Claims so far (a claim whose drainer died counts too).
  attempts integer not null default 0,
  -- When a pending row is due; null once final.
  next_attempt_at timestamptz,
  last_error text check (char_length(last_error) <= 500),
  sent_at timestamptz,
  -- The current claim: who may report on the row, and until when.
  lease_until timestamptz,
  claim_id bigint
);

comment on table public.notification_deliveries is
  'Notifications per linked account, with their status. Users read their own rows; only the '
  'gateway writes (through service-role functions).';

create index notification_deliveries_due_idx on public.notification_deliveries (next_attempt_at, id)
  where status = 'pending';
create index notification_deliveries_user_idx
  on public.notification_deliveries (user_id, created_at desc);
create index notification_deliveries_notification_idx
  on public.notification_deliveries (notification_id);
create index notification_deliveries_chat_idx
  on public.notification_deliveries (provider, external_id, bot) where status = 'pending';
create index notification_deliveries_chat_sent_idx
  on public.notification_deliveries (provider, external_id, bot, sent_at) where status = 'sent';

alter table public.notification_deliveries enable row level security;

create policy "users read their notifications" on public.notification_deliveries
  for select to authenticated using ((select auth.uid()) = user_id);

revoke all on public.notification_deliveries from public, anon, authenticated;
grant select on public.notification_deliveries to authenticated;
grant select, insert, update, delete on public.notification_deliveries to service_role;

create sequence gateway_private.notification_claims;

-- The buttons of a notification in rows, or null: a flat list of buttons is one row. Checks the
-- shape only (at most 5 rows of 5; labels 1-40 characters; a command name; args an object); the
-- gateway checks each call against its command registry. Raises 22023 naming what is wrong.
create function gateway_private.notification_actions(p_actions jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_rows jsonb;
  v_row jsonb;
  v_action jsonb;
begin
  if p_actions is null or p_actions = 'null'::jsonb or p_actions = '[]'::jsonb then
    return null;
  end if;
  if jsonb_typeof(p_actions) <> 'array' then
    raise exception 'gateway_notify: actions must be an array of buttons, or of rows of buttons'
      using errcode = '22023';
  end if;
  v_rows := case when jsonb_typeof(p_actions -> 0) = 'array' then p_actions
    else jsonb_build_array(p_actions) end;
  if jsonb_array_length(v_rows) > 5 then
    raise exception 'gateway_notify: at most 5 rows of buttons' using errcode = '22023';
  end if;
  for v_row in select value from jsonb_array_elements(v_rows) loop
    if jsonb_typeof(v_row) <> 'array' or jsonb_array_length(v_row) not between 1 and 5 then
      raise exception 'gateway_notify: each row holds 1 to 5 buttons' using errcode = '22023';
    end if;
    for v_action in select value from jsonb_array_elements(v_row) loop
      if jsonb_typeof(v_action) <> 'object'
        or jsonb_typeof(v_action -> 'label') is distinct from 'string'
        or char_length(v_action ->> 'label') not between 1 and 40
        or coalesce(v_action ->> 'command', '') !~ '^[a-z0-9_-]{1,32}$'
        or coalesce(jsonb_typeof(v_action -> 'args'), 'object') not in ('object', 'null')
      then
        raise exception 'gateway_notify: a button is {"label": 1-40 characters, "command": '
          'a command name, "args": an object}' using errcode = '22023';
      end if;
    end loop;
  end loop;
  return v_rows;
end;
$$;

-- Asks the gateway to drain soon, once per transaction, and only where the platform can: with
-- pg_net and Vault secrets `gateway_url` (the function's URL, .../functions/v1/gateway) and
-- `gateway_service_key`. pg_net queues the request in the transaction and sends it after the
-- commit, so a rolled-back change wakes nothing. Without them, the schedule (pg_cron) or the
-- local stack's timer drains instead.
create function gateway_private.notify_wake()
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_url text;
  v_key text;
begin
  if current_setting('gateway.notify_woken', true) = 'on' then
    return;
  end if;
  perform set_config('gateway.notify_woken', 'on', true);
  if not exists (select 1 from pg_extension where extname = 'pg_net')
    or not exists (select 1 from pg_extension where extname = 'supabase_vault') then
    return;
  end if;
  select decrypted_secret into v_url from vault.decrypted_secrets where name = 'gateway_url';
  select decrypted_secret into v_key from vault.decrypted_secrets where name = 'gateway_service_key';
  if v_url is null or v_key is null then
    return;
  end if;
  perform net.http_post(
    url := rtrim(v_url, '/') || '/notify/drain',
    body := '{}'::jsonb,
    headers := jsonb_build_object('Authorization', 'Bearer ' || v_key),
    timeout_milliseconds := 30000
  );
end;
$$;

-- The schedule's backstop: wakes the gateway when a delivery is due (a retry whose time came, a
-- wake that was lost), and costs nothing when none is.
create function gateway_private.notify_wake_if_due()
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (
    select 1 from public.notification_deliveries
    where status = 'pending' and next_attempt_at <= now()
      and (lease_until is null or lease_until < now())
  ) then
    perform gateway_private.notify_wake();
  end if;
end;
$$;

-- Enqueues a notification for `user_id`: one delivery per linked chat account (skipped, and
-- saying why, for accounts with notifications off), sent by the bot named `bot` (default:
-- `default`) of each platform. With `key`, a second call for the same user returns the first
-- call's id and adds nothing. Returns the notification's id. Runs in the caller's transaction.
create function public.gateway_notify(
  user_id uuid,
  text text,
  actions jsonb default null,
  key text default null,
  bot text default null
) returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid;
  v_bot text := coalesce(gateway_notify.bot, 'default');
  v_actions jsonb := gateway_private.notification_actions(gateway_notify.actions);
begin
  if gateway_notify.user_id is null then
    raise exception 'gateway_notify: user_id is required' using errcode = '22023';
  end if;
  if gateway_notify.text is null or btrim(gateway_notify.text) = ''
    or char_length(gateway_notify.text) > 2000 then
    raise exception 'gateway_notify: text must be 1-2000 characters' using errcode = '22023';
  end if;
  if gateway_notify.key is not null and char_length(gateway_notify.key) not between 1 and 200 then
    raise exception 'gateway_notify: key must be 1-200 characters' using errcode = '22023';
  end if;
  if v_bot !~ '^[a-z0-9][a-z0-9-]{0,31}$' then
    raise exception 'gateway_notify: bot must be a bot name ([a-z0-9][a-z0-9-]{0,31})'
      using errcode = '22023';
  end if;
  if not exists (select 1 from auth.users u where u.id = gateway_notify.user_id) then
    raise exception 'gateway_notify: no user has this id' using errcode = '22023';
  end if;

  if gateway_notify.key is not null then
    select n.id into v_id from gateway_private.notifications n
    where n.user_id = gateway_notify.user_id and n.key = gateway_notify.key;
    if found then
      return v_id;
    end if;
  end if;
  insert into gateway_private.notifications as n (user_id, text, actions, key, bot)
  values (gateway_notify.user_id, gateway_notify.text, v_actions, gateway_notify.key, v_bot)
  on conflict on constraint notifications_user_key do nothing
  returning n.id into v_id;
  if v_id is null then
    -- The same key, committed by a concurrent transaction while this one waited for it.
    select n.id into v_id from gateway_private.notifications n
    where n.user_id = gateway_notify.user_id and n.key = gateway_notify.key;
    return v_id;
  end if;

  insert into public.notification_deliveries
    (notification_id, user_id, provider, external_id, bot, status, next_attempt_at, last_error)
  select v_id, ci.user_id, ci.provider, ci.external_id, v_bot,
    case when ci.notify then 'pending' else 'skipped' end,
    case when ci.notify then now() end,
    case when ci.notify then null else 'not sent: notifications are off for this account' end
  from public.chat_identities ci
  where ci.user_id = gateway_notify.user_id
  order by ci.id;
  if found then
    perform gateway_private.notify_wake();
  end if;
  return v_id;
end;
$$;

-- Claims up to `p_limit` due deliveries for `p_lease_seconds`: at most one per chat account and
-- bot, and none for an account that has a delivery in flight or was sent one less than
-- `p_chat_interval_ms` ago (a platform allows about one message a second per chat; kept here, it
-- holds across gateway instances, and a batch holds only chats that may be written to now). Each
-- claim counts as an attempt and gets an id of its own; only that claim may report the row's
-- outcome. Returns [{id, claim, attempt, notification_id, user_id, provider, external_id, bot,
-- text, actions, linked}] ("linked": false when the account was unlinked since: nothing is to
-- be sent).
create function public.gateway_claim_notifications(
  p_limit integer default 25,
  p_lease_seconds integer default 15,
  p_chat_interval_ms integer default 1000
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_rows jsonb;
begin
  if p_limit is null or p_limit not between 1 and 100 then
    raise exception 'limit must be 1-100' using errcode = '22023';
  end if;
  if p_lease_seconds is null or p_lease_seconds not between 1 and 300 then
    raise exception 'lease must be 1-300 seconds' using errcode = '22023';
  end if;
  if p_chat_interval_ms is null or p_chat_interval_ms not between 0 and 60000 then
    raise exception 'chat interval must be 0-60000 ms' using errcode = '22023';
  end if;
  with candidates as (
    select d.id from public.notification_deliveries d
    where d.status = 'pending' and d.next_attempt_at <= now()
      and (d.lease_until is null or d.lease_until < now())
      and not exists (
        select 1 from public.notification_deliveries o
        where o.provider = d.provider and o.external_id = d.external_id and o.bot = d.bot
          and o.status = 'pending' and o.lease_until > now()
      )
      and not exists (
        select 1 from public.notification_deliveries o
        where o.provider = d.provider and o.external_id = d.external_id and o.bot = d.bot
          and o.status = 'sent'
          and o.sent_at > now() - make_interval(secs => p_chat_interval_ms / 1000.0)
      )
    order by d.next_attempt_at, d.id
    limit p_limit * 4
    for update skip locked
  ), chosen as (
    select distinct on (d.provider, d.external_id, d.bot) d.id
    from public.notification_deliveries d
    join candidates c on c.id = d.id
    order by d.provider, d.external_id, d.bot, d.id
  ), limited as (
    select id from chosen order by id limit p_limit
  ), claimed as (
    update public.notification_deliveries d
    set lease_until = now() + make_interval(secs => p_lease_seconds),
      claim_id = nextval('gateway_private.notification_claims'),
      attempts = d.attempts + 1
    from limited
    where d.id = limited.id
    returning d.*
  )
  select coalesce(jsonb_agg(jsonb_build_object(
      'id', c.id, 'claim', c.claim_id, 'attempt', c.attempts,
      'notification_id', c.notification_id, 'user_id', c.user_id,
      'provider', c.provider, 'external_id', c.external_id, 'bot', c.bot,
      'text', n.text, 'actions', n.actions, 'linked', ci.id is not null
    ) order by c.id), '[]'::jsonb)
  into v_rows
  from claimed c
  join gateway_private.notifications n on n.id = c.notification_id
  left join public.chat_identities ci
    on ci.user_id = c.user_id and ci.provider = c.provider and ci.external_id = c.external_id;
  return v_rows;
end;
$$;

-- Records outcomes of claimed deliveries: p_items is [{"id", "claim", "status", "error"?,
-- "retry_in_ms"?}] with status sent | pending (try again retry_in_ms from now, database time) |
-- failed | dead | skipped. A row is touched only while that claim still holds it (a drainer
-- whose lease ran out cannot overwrite what its successor did). Returns the ids it recorded.
create function public.gateway_report_notifications(p_items jsonb)
returns jsonb
language sql
security definer
set search_path = ''
as $$
  with updated as (
    update public.notification_deliveries d
    set status = i.status,
      sent_at = case when i.status = 'sent' then now() end,
      last_error = case when i.status = 'sent' then null else left(i.error, 500) end,
      next_attempt_at = case when i.status = 'pending'
        then now() + make_interval(secs => greatest(coalesce(i.retry_in_ms, 0), 0) / 1000.0) end,
      lease_until = null
    from jsonb_to_recordset(p_items) as i(id bigint, claim bigint, status text, error text,
      retry_in_ms bigint)
    where d.id = i.id and d.claim_id = i.claim and d.status = 'pending'
      and i.status in ('sent', 'pending', 'failed', 'dead', 'skipped')
    returning d.id
  )
  select coalesce(jsonb_agg(id order by id), '[]'::jsonb) from updated;
$$;

-- Deletes notifications older than `p_older_than` whose deliveries are all final (with them).
-- Returns how many went. The notify_schedule migration runs it daily where pg_cron exists.
create function public.gateway_purge_notifications(p_older_than interval default interval '30 days')
returns integer
language sql
security definer
set search_path = ''
as $$
  with deleted as (
    delete from gateway_private.notifications n
    where n.created_at < now() - p_older_than
      and not exists (
        select 1 from public.notification_deliveries d
        where d.notification_id = n.id and d.status = 'pending'
      )
    returning 1
  )
  select count(*)::integer from deleted;
$$;

revoke all on function gateway_private.notification_actions(jsonb) from public, anon, authenticated;
revoke all on function gateway_private.notify_wake() from public, anon, authenticated;
revoke all on function gateway_private.notify_wake_if_due() from public, anon, authenticated;
revoke all on function public.gateway_notify(uuid, text, jsonb, text, text)
  from public, anon, authenticated;
revoke all on function public.gateway_claim_notifications(integer, integer, integer)
  from public, anon, authenticated;
revoke all on function public.gateway_report_notifications(jsonb) from public, anon, authenticated;
revoke all on function public.gateway_purge_notifications(interval)
  from public, anon, authenticated;
grant execute on function public.gateway_notify(uuid, text, jsonb, text, text) to service_role;
grant execute on function public.gateway_claim_notifications(integer, integer, integer) to service_role;
grant execute on function public.gateway_report_notifications(jsonb) to service_role;
grant execute on function public.gateway_purge_notifications(interval) to service_role;
