-- Turning notifications off stops what is already queued. `chat_identities.notify` was read only
-- when gateway_notify enqueued, so a backlog (one message a second per chat) or a row waiting for
-- a retry (up to 15 minutes, 10 attempts) was still sent after the owner said "off". The claim
-- now reads it again: a due row whose account has notifications off is `skipped` ("not sent:
-- notifications are off for this account"), as at enqueue time, instead of being claimed. Kept in
-- the claim, it holds for every gateway instance, whatever the drainer does with what it gets.
-- A row already claimed (being sent at that moment) is not called back.
--
-- Same signature and result as before; the rows returned are only ones to send (or, `linked`
-- false, of an account unlinked since, which the drain marks skipped).
create or replace function public.gateway_claim_notifications(
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
  v_skipped integer;
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
  -- A window of due rows whose accounts were all switched off would leave nothing to claim:
  -- look again past them (a few windows at most), so a drain does not stop while rows are due.
  for v_round in 1..4 loop
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
    ), switched_off as (
      -- The owner turned notifications off for the account since the enqueue.
      select d.id from public.notification_deliveries d
      join candidates c on c.id = d.id
      join public.chat_identities ci
        on ci.user_id = d.user_id and ci.provider = d.provider and ci.external_id = d.external_id
      where not ci.notify
    ), skipped as (
      update public.notification_deliveries d
      set status = 'skipped', next_attempt_at = null, lease_until = null,
        last_error = 'not sent: notifications are off for this account'
      from switched_off s
      where d.id = s.id
      returning d.id
    ), chosen as (
      select distinct on (d.provider, d.external_id, d.bot) d.id
      from public.notification_deliveries d
      join candidates c on c.id = d.id
      where not exists (select 1 from switched_off s where s.id = d.id)
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
      ) order by c.id), '[]'::jsonb),
      (select count(*) from skipped)
    into v_rows, v_skipped
    from claimed c
    join gateway_private.notifications n on n.id = c.notification_id
    left join public.chat_identities ci
      on ci.user_id = c.user_id and ci.provider = c.provider and ci.external_id = c.external_id;
    exit when v_rows <> '[]'::jsonb or v_skipped = 0;
  end loop;
  return v_rows;
end;
$$;

revoke all on function public.gateway_claim_notifications(integer, integer, integer)
  from public, anon, authenticated;
grant execute on function public.gateway_claim_notifications(integer, integer, integer) to service_role;
