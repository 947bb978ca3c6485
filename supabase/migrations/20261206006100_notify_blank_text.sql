-- gateway_notify refuses text that is only blanks, as POST /notify does ("text must not be
-- blank"). `btrim` strips only spaces, so text of tabs or line breaks was enqueued; Slack and
-- Discord then showed "Done." (words the app never wrote) and Telegram refused it as empty.
-- `gateway_private.is_blank` is the gateway's own rule (JavaScript's `trim()`): white space and
-- line terminators of ECMAScript, Unicode's space separators included. Same signature, grants
-- and behaviour otherwise.

-- Whether `p_text` holds nothing but white space, as JavaScript's `String.prototype.trim` reads
-- it (TAB, LF, VT, FF, CR, SPACE, NBSP, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F,
-- U+3000, U+FEFF). The empty string is blank.
create function gateway_private.is_blank(p_text text)
returns boolean
language sql
immutable
strict
set search_path = ''
as $$
  select p_text ~ '^[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*$';
$$;

revoke all on function gateway_private.is_blank(text) from public, anon, authenticated;

create or replace function public.gateway_notify(
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
  if gateway_notify.text is null or char_length(gateway_notify.text) > 2000 then
    raise exception 'gateway_notify: text must be 1-2000 characters' using errcode = '22023';
  end if;
  if gateway_private.is_blank(gateway_notify.text) then
    raise exception 'gateway_notify: text must not be blank' using errcode = '22023';
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

revoke all on function public.gateway_notify(uuid, text, jsonb, text, text)
  from public, anon, authenticated;
grant execute on function public.gateway_notify(uuid, text, jsonb, text, text) to service_role;
