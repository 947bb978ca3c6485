-- A claim belongs to the attempt that made it. Before this, completing or releasing a key acted on
-- any pending row: a gateway whose lease had run out (its delivery outlived the lease, e.g.
-- waiting out Telegram's 429s) could release or complete the claim a second instance had taken
-- over since, and a third instance then ran the delivery again. Now:
--
-- - `gateway_complete_delivery` and `gateway_release_delivery` take the attempt number the claim
--   returned (`p_attempt`) and touch the row only while it is still that attempt's;
-- - `gateway_complete_deliveries` items may carry `"attempt"`, matched the same way;
-- - `gateway_extend_delivery` renews a held lease (the gateway calls it while a long delivery
--   runs, so a live holder never loses its claim), and says whether the claim is still held.
--
-- `p_attempt` defaults to null, which keeps the old behaviour for a gateway deployed before this
-- migration (rolling deploys: the database first, then the function).

drop function public.gateway_complete_delivery(text, jsonb);
drop function public.gateway_release_delivery(text);

-- Marks a claimed key done and stores the answer to replay. Returns false if it was not pending,
-- or (with `p_attempt`) no longer held by that attempt.
create function public.gateway_complete_delivery(
  p_key text,
  p_result jsonb,
  p_attempt integer default null
)
returns boolean
language sql
security definer
set search_path = ''
as $$
  with updated as (
    update gateway_private.deliveries
    set state = 'done', result = p_result, completed_at = now(), lease_until = null
    where key = p_key and state = 'pending' and (p_attempt is null or attempts = p_attempt)
    returning 1
  )
  select exists (select 1 from updated);
$$;

-- Completes many claimed keys in one call: p_items is [{"key": ..., "attempt": n, "result": ...}]
-- ("attempt" optional, as above). Returns how many were pending and are now done.
create or replace function public.gateway_complete_deliveries(p_items jsonb)
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
      and (i.value -> 'attempt' is null or jsonb_typeof(i.value -> 'attempt') = 'null'
        or d.attempts = (i.value ->> 'attempt')::integer)
    returning 1
  )
  select count(*)::integer from updated;
$$;

-- Gives a claimed key back so a retry can run it again (the command failed retryably). With
-- `p_attempt`, only while that attempt still holds it.
create function public.gateway_release_delivery(p_key text, p_attempt integer default null)
returns boolean
language sql
security definer
set search_path = ''
as $$
  with deleted as (
    delete from gateway_private.deliveries
    where key = p_key and state = 'pending' and (p_attempt is null or attempts = p_attempt)
    returning 1
  )
  select exists (select 1 from deleted);
$$;

-- Renews the lease of a claim `p_attempt` still holds, for `p_lease_seconds` from now. Returns
-- false when the claim is no longer that attempt's (taken over, completed or released).
create function public.gateway_extend_delivery(
  p_key text,
  p_attempt integer,
  p_lease_seconds integer
)
returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_lease_seconds is null or p_lease_seconds < 1 or p_lease_seconds > 900 then
    raise exception 'lease must be 1-900 seconds' using errcode = '22023';
  end if;
  update gateway_private.deliveries
  set lease_until = now() + make_interval(secs => p_lease_seconds)
  where key = p_key and state = 'pending' and attempts = p_attempt;
  return found;
end;
$$;

revoke all on function public.gateway_complete_delivery(text, jsonb, integer) from public, anon, authenticated;
revoke all on function public.gateway_complete_deliveries(jsonb) from public, anon, authenticated;
revoke all on function public.gateway_release_delivery(text, integer) from public, anon, authenticated;
revoke all on function public.gateway_extend_delivery(text, integer, integer) from public, anon, authenticated;
grant execute on function public.gateway_complete_delivery(text, jsonb, integer) to service_role;
grant execute on function public.gateway_complete_deliveries(jsonb) to service_role;
grant execute on function public.gateway_release_delivery(text, integer) to service_role;
grant execute on function public.gateway_extend_delivery(text, integer, integer) to service_role;
