-- The delivery ledger: one row per Telegram update, Discord interaction or HTTPS Idempotency-Key.
-- The gateway claims a key before running a command, completes it with the stored answer, or
-- releases it when the command failed in a way a retry can fix. A claim is a lease: a gateway
-- that crashed mid-command leaves a pending row that a redelivery may take over once the lease
-- ends. Only service_role may call these functions; the table sits in a schema PostgREST does
-- not expose.

create schema if not exists gateway_private;
revoke all on schema gateway_private from public;
grant usage on schema gateway_private to service_role;

create table gateway_private.deliveries (
  key text primary key check (char_length(key) between 1 and 300),
  -- Hash of what was asked (command and arguments); a reused key with other content is refused.
  fingerprint text,
  state text not null default 'pending' check (state in ('pending', 'done')),
  lease_until timestamptz,
  attempts integer not null default 1,
  result jsonb,
  created_at timestamptz not null default now(),
  completed_at timestamptz
);

create index deliveries_created_idx on gateway_private.deliveries (created_at);

-- Claims `p_key` for `p_lease_seconds`. Returns {"status": "claimed", "attempt": n},
-- {"status": "done", "result": ...} (replay the stored answer), {"status": "busy",
-- "retry_after": seconds} (another delivery holds the lease) or {"status": "mismatch"}.
create function public.gateway_claim_delivery(
  p_key text,
  p_fingerprint text default null,
  p_lease_seconds integer default 30
) returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  d_row gateway_private.deliveries;
begin
  if p_lease_seconds is null or p_lease_seconds < 1 or p_lease_seconds > 900 then
    raise exception 'lease must be 1-900 seconds' using errcode = '22023';
  end if;

  -- Two passes cover a row released between the upsert and the read.
  for pass in 1..2 loop
    insert into gateway_private.deliveries as d (key, fingerprint, lease_until)
    values (p_key, p_fingerprint, now() + make_interval(secs => p_lease_seconds))
    on conflict (key) do update
      set lease_until = excluded.lease_until, attempts = d.attempts + 1
      where d.state = 'pending'
        and d.lease_until < now()
        and d.fingerprint is not distinct from excluded.fingerprint
    returning * into d_row;

    if found then
      return jsonb_build_object('status', 'claimed', 'attempt', d_row.attempts);
    end if;

    select * into d_row from gateway_private.deliveries where key = p_key;
    if found then
      if d_row.fingerprint is distinct from p_fingerprint then
        return jsonb_build_object('status', 'mismatch');
      elsif d_row.state = 'done' then
        return jsonb_build_object('status', 'done', 'result', d_row.result);
      end if;
      return jsonb_build_object(
        'status', 'busy',
        'retry_after', greatest(1, ceil(extract(epoch from d_row.lease_until - now())))::integer
      );
    end if;
  end loop;
  return jsonb_build_object('status', 'busy', 'retry_after', 1);
end;
$$;

-- Marks a claimed key done and stores the answer to replay. Returns false if it was not pending.
create function public.gateway_complete_delivery(p_key text, p_result jsonb)
returns boolean
language sql
security definer
set search_path = ''
as $$
  with updated as (
    update gateway_private.deliveries
    set state = 'done', result = p_result, completed_at = now(), lease_until = null
    where key = p_key and state = 'pending'
    returning 1
  )
  select exists (select 1 from updated);
$$;

-- Completes many claimed keys in one call: p_items is [{"key": ..., "result": ...}, ...].
-- Returns how many were pending and are now done.
create function public.gateway_complete_deliveries(p_items jsonb)
returns integer
language sql
security definer
set search_path = ''
as $$
  with updated as (
    update gateway_private.deliveries d
    set state = 'done', result = i.value -> 'result', completed_at = now(), lease_until = null
    from jsonb_array_elements(p_items) as i
    where d.key = i.value ->> 'key' and d.state = 'pending'
    returning 1
  )
  select count(*)::integer from updated;
$$;

-- Gives a claimed key back so a retry can run it again (the command failed retryably).
create function public.gateway_release_delivery(p_key text)
returns boolean
language sql
security definer
set search_path = ''
as $$
  with deleted as (
    delete from gateway_private.deliveries
    where key = p_key and state = 'pending'
    returning 1
  )
  select exists (select 1 from deleted);
$$;

-- Deletes ledger rows older than `p_older_than` (platforms stop redelivering within a day).
create function public.gateway_purge_deliveries(p_older_than interval default interval '7 days')
returns integer
language sql
security definer
set search_path = ''
as $$
  with deleted as (
    delete from gateway_private.deliveries where created_at < now() - p_older_than returning 1
  )
  select count(*)::integer from deleted;
$$;

revoke all on function public.gateway_claim_delivery(text, text, integer) from public, anon, authenticated;
revoke all on function public.gateway_complete_delivery(text, jsonb) from public, anon, authenticated;
revoke all on function public.gateway_complete_deliveries(jsonb) from public, anon, authenticated;
revoke all on function public.gateway_release_delivery(text) from public, anon, authenticated;
revoke all on function public.gateway_purge_deliveries(interval) from public, anon, authenticated;
grant execute on function public.gateway_claim_delivery(text, text, integer) to service_role;
grant execute on function public.gateway_complete_delivery(text, jsonb) to service_role;
grant execute on function public.gateway_complete_deliveries(jsonb) to service_role;
grant execute on function public.gateway_release_delivery(text) to service_role;
grant execute on function public.gateway_purge_deliveries(interval) to service_role;
