-- Slack as a chat platform. A Slack account is identified by its workspace (team) and user ids,
-- `<team id>:<user id>` (e.g. T0001:U2147483697; enterprise-wide installs may name an E… team,
-- Enterprise Grid users are W…); Telegram and Discord ids stay decimal. What makes a valid chat
-- account is gateway_private.valid_chat_account, used by consume_link_code (otherwise unchanged
-- from the link_tries_left migration); the table's check states the same rule inline, because a
-- check runs with the privileges of whoever writes the row, and authenticated users have no
-- access to gateway_private. Tasks may come from Slack. Privileges stay as they were.

create function gateway_private.valid_chat_account(p_provider text, p_external_id text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select case p_provider
    when 'telegram' then p_external_id ~ '^[0-9]{1,20}$'
    when 'discord' then p_external_id ~ '^[0-9]{1,20}$'
    when 'slack' then p_external_id ~ '^[TE][A-Z0-9]{2,20}:[UW][A-Z0-9]{2,20}$'
    else false
  end;
$$;

revoke all on function gateway_private.valid_chat_account(text, text) from public, anon, authenticated;

alter table public.chat_identities
  drop constraint chat_identities_provider_check,
  drop constraint chat_identities_external_id_check,
  add constraint chat_identities_account_check check (
    (provider in ('telegram', 'discord') and external_id ~ '^[0-9]{1,20}$')
    or (provider = 'slack' and external_id ~ '^[TE][A-Z0-9]{2,20}:[UW][A-Z0-9]{2,20}$')
  );

comment on table public.chat_identities is
  'Telegram/Discord/Slack accounts linked to a user. Rows are created only by consume_link_code.';

alter table public.tasks
  drop constraint tasks_source_check,
  add constraint tasks_source_check
    check (source in ('web', 'telegram', 'discord', 'slack', 'http'));

create or replace function public.consume_link_code(
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
  if not coalesce(gateway_private.valid_chat_account(p_provider, p_external_id), false) then
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
    return jsonb_build_object('ok', false, 'reason', 'invalid_code',
      'tries_left', c_max_failures - v_failures - 1);
  end if;

  if v_code.used_at is not null then
    if v_code.used_by_provider = p_provider and v_code.used_by_external_id = p_external_id then
      return jsonb_build_object('ok', true, 'user_id', v_code.user_id, 'already_linked', true);
    end if;
    insert into gateway_private.link_attempts (provider, external_id) values (p_provider, p_external_id);
    return jsonb_build_object('ok', false, 'reason', 'used_code',
      'tries_left', c_max_failures - v_failures - 1);
  end if;

  if v_code.expires_at <= now() then
    insert into gateway_private.link_attempts (provider, external_id) values (p_provider, p_external_id);
    return jsonb_build_object('ok', false, 'reason', 'expired_code',
      'tries_left', c_max_failures - v_failures - 1);
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
