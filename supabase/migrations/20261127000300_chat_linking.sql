-- Account linking. A signed-in user creates a one-time code in the web app
-- (POST /rest/v1/rpc/create_link_code), sends it to the bot (/start CODE, /link CODE), and the
-- gateway consumes it for the chat account it came from. Linked accounts live in
-- chat_identities: a user sees and deletes only their own rows; nobody inserts or updates
-- directly. Codes are stored hashed, expire after 10 minutes, are single use, and failed attempts
-- are limited per chat account.

create table public.chat_identities (
  id bigint generated always as identity primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  provider text not null check (provider in ('telegram', 'discord')),
  external_id text not null check (external_id ~ '^[0-9]{1,20}$'),
  username text check (char_length(username) <= 100),
  display_name text check (char_length(display_name) <= 200),
  linked_at timestamptz not null default now(),
  constraint chat_identities_provider_external_id unique (provider, external_id)
);

comment on table public.chat_identities is
  'Telegram/Discord accounts linked to a user. Rows are created only by consume_link_code.';

create index chat_identities_user_idx on public.chat_identities (user_id);

alter table public.chat_identities enable row level security;

create policy "users see their linked accounts" on public.chat_identities
  for select to authenticated using ((select auth.uid()) = user_id);

create policy "users unlink their accounts" on public.chat_identities
  for delete to authenticated using ((select auth.uid()) = user_id);

revoke insert, update, truncate, references, trigger on public.chat_identities
  from public, anon, authenticated;
revoke all on public.chat_identities from anon;
grant select, delete on public.chat_identities to authenticated;
grant select, insert, update, delete on public.chat_identities to service_role;

create table gateway_private.link_codes (
  code_hash bytea primary key,
  user_id uuid not null references auth.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at timestamptz,
  used_by_provider text,
  used_by_external_id text
);

create index link_codes_user_idx on gateway_private.link_codes (user_id);

-- Failed link attempts per chat account, for the attempt limit.
create table gateway_private.link_attempts (
  provider text not null,
  external_id text not null,
  attempted_at timestamptz not null default now()
);

create index link_attempts_account_idx
  on gateway_private.link_attempts (provider, external_id, attempted_at);

-- Normalises what a person typed: upper case, spaces and dashes dropped.
create function gateway_private.link_code_hash(p_code text)
returns bytea
language sql
immutable
set search_path = ''
as $$
  select extensions.digest(upper(regexp_replace(coalesce(p_code, ''), '[\s-]', '', 'g')), 'sha256');
$$;

-- Creates a fresh code for the signed-in user and retires their unused ones.
-- 10 characters from a 32-letter alphabet without 0/O/1/I: 50 bits of randomness.
create function public.create_link_code()
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := auth.uid();
  v_alphabet constant text := 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  v_bytes bytea := extensions.gen_random_bytes(10);
  v_code text := '';
  v_expires timestamptz := now() + interval '10 minutes';
begin
  if v_user is null or auth.role() is distinct from 'authenticated' then
    raise exception 'sign in to create a link code' using errcode = '42501';
  end if;
  -- 256 is a multiple of 32, so each byte modulo 32 is uniform.
  for i in 0..9 loop
    v_code := v_code || substr(v_alphabet, (get_byte(v_bytes, i) % 32) + 1, 1);
  end loop;
  delete from gateway_private.link_codes where user_id = v_user and used_at is null;
  insert into gateway_private.link_codes (code_hash, user_id, expires_at)
  values (gateway_private.link_code_hash(v_code), v_user, v_expires);
  return jsonb_build_object('code', v_code, 'expires_at', v_expires);
end;
$$;

-- Links the chat account to the code's owner. Atomic: the code row is locked, so of two
-- concurrent uses exactly one wins. Returns {"ok": true, "user_id", "already_linked"} or
-- {"ok": false, "reason": invalid_code | expired_code | used_code | already_linked |
-- rate_limited, "retry_after"?}. A repeat by the account that used the code succeeds again
-- (a redelivered /link changes nothing).
create function public.consume_link_code(
  p_provider text,
  p_external_id text,
  p_code text,
  p_username text default null,
  p_display_name text default null
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  c_max_failures constant integer := 5;
  c_window constant interval := interval '15 minutes';
  v_failures integer;
  v_oldest timestamptz;
  v_code gateway_private.link_codes;
  v_existing public.chat_identities;
  v_was_linked boolean;
begin
  if p_provider not in ('telegram', 'discord') or p_external_id !~ '^[0-9]{1,20}$' then
    raise exception 'unknown chat account' using errcode = '22023';
  end if;

  select count(*), min(attempted_at) into v_failures, v_oldest
  from gateway_private.link_attempts
  where provider = p_provider and external_id = p_external_id
    and attempted_at > now() - c_window;
  if v_failures >= c_max_failures then
    return jsonb_build_object(
      'ok', false, 'reason', 'rate_limited',
      'retry_after', greatest(1, ceil(extract(epoch from v_oldest + c_window - now())))::integer
    );
  end if;

  select * into v_code from gateway_private.link_codes
  where code_hash = gateway_private.link_code_hash(p_code)
  for update;

  if not found then
    insert into gateway_private.link_attempts (provider, external_id) values (p_provider, p_external_id);
    return jsonb_build_object('ok', false, 'reason', 'invalid_code');
  end if;

  if v_code.used_at is not null then
    if v_code.used_by_provider = p_provider and v_code.used_by_external_id = p_external_id then
      return jsonb_build_object('ok', true, 'user_id', v_code.user_id, 'already_linked', true);
    end if;
    insert into gateway_private.link_attempts (provider, external_id) values (p_provider, p_external_id);
    return jsonb_build_object('ok', false, 'reason', 'used_code');
  end if;

  if v_code.expires_at <= now() then
    insert into gateway_private.link_attempts (provider, external_id) values (p_provider, p_external_id);
    return jsonb_build_object('ok', false, 'reason', 'expired_code');
  end if;

  select * into v_existing from public.chat_identities
  where provider = p_provider and external_id = p_external_id
  for update;
  v_was_linked := found;
  if v_was_linked and v_existing.user_id <> v_code.user_id then
    -- The code stays unused: the owner can use it once this account is unlinked.
    return jsonb_build_object('ok', false, 'reason', 'already_linked');
  end if;

  if not v_was_linked then
    insert into public.chat_identities (user_id, provider, external_id, username, display_name)
    values (v_code.user_id, p_provider, p_external_id, left(p_username, 100), left(p_display_name, 200));
  end if;

  update gateway_private.link_codes
  set used_at = now(), used_by_provider = p_provider, used_by_external_id = p_external_id
  where code_hash = v_code.code_hash;
  delete from gateway_private.link_attempts
  where provider = p_provider and external_id = p_external_id;

  return jsonb_build_object('ok', true, 'user_id', v_code.user_id, 'already_linked', v_was_linked);
end;
$$;

-- What a session token needs for a linked chat account, or null when it is not linked.
create function public.resolve_chat_identity(p_provider text, p_external_id text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'user_id', u.id,
    'email', u.email,
    'phone', u.phone,
    'app_metadata', coalesce(u.raw_app_meta_data, '{}'::jsonb),
    'user_metadata', coalesce(u.raw_user_meta_data, '{}'::jsonb),
    'is_anonymous', coalesce(u.is_anonymous, false)
  )
  from public.chat_identities ci
  join auth.users u on u.id = ci.user_id
  where ci.provider = p_provider and ci.external_id = p_external_id;
$$;

-- Deletes link codes and failed attempts that can no longer matter (older than a day).
-- Returns how many rows went. Schedule it with pg_cron alongside gateway_purge_deliveries.
create function public.gateway_purge_link_state()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_codes integer;
  v_attempts integer;
begin
  delete from gateway_private.link_codes where expires_at < now() - interval '1 day';
  get diagnostics v_codes = row_count;
  delete from gateway_private.link_attempts where attempted_at < now() - interval '1 day';
  get diagnostics v_attempts = row_count;
  return v_codes + v_attempts;
end;
$$;

revoke all on function public.create_link_code() from public, anon;
revoke all on function public.consume_link_code(text, text, text, text, text) from public, anon, authenticated;
revoke all on function public.resolve_chat_identity(text, text) from public, anon, authenticated;
revoke all on function public.gateway_purge_link_state() from public, anon, authenticated;
revoke all on function gateway_private.link_code_hash(text) from public, anon, authenticated;
grant execute on function public.create_link_code() to authenticated;
grant execute on function public.consume_link_code(text, text, text, text, text) to service_role;
grant execute on function public.resolve_chat_identity(text, text) to service_role;
grant execute on function public.gateway_purge_link_state() to service_role;
