-- A key is held by the claim that took it. Before this, completing or releasing a key acted on
-- any pending row: a gateway whose lease had run out (its delivery outlived the lease, e.g.
-- waiting out Telegram's 429s) could release or complete the claim a second instance had taken
-- over since, and a third instance then ran the delivery again. Now:
--
-- - every claim gets an id of its own (`claim_id`, from a sequence: unlike the `attempts` count,
--   it never repeats, even after a release deletes the row and a later claim starts over), and
--   `gateway_claim_delivery` returns it as "claim";
-- - `gateway_complete_delivery` and `gateway_release_delivery` take it (`p_claim`) and touch the
--   row only while it is still that claim's; `gateway_complete_deliveries` items may carry
--   "claim" the same way, and it now returns the claims it completed, so a gateway can tell that
--   it lost a claim;
-- - `gateway_extend_delivery` renews a held lease (the gateway calls it while a long delivery
--   runs, so a live holder keeps its claim), and says whether the claim is still held.
--
-- `p_claim` defaults to null, which keeps the old behaviour for a gateway deployed before this
-- migration (rolling deploys: the database first, then the function).

create sequence gateway_private.delivery_claims;
alter table gateway_private.deliveries add column claim_id bigint;

-- As before, and the claim's id: {"status": "claimed", "attempt": n, "claim": id}.
create or replace function public.gateway_claim_delivery(
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
    insert into gateway_private.deliveries as d (key, fingerprint, lease_until, claim_id)
    values (
      p_key, p_fingerprint, now() + make_interval(secs => p_lease_seconds),
      nextval('gateway_private.delivery_claims')
    )
    on conflict (key) do update
      set lease_until = excluded.lease_until, attempts = d.attempts + 1,
        claim_id = excluded.claim_id
      where d.state = 'pending'
        and d.lease_until < now()
        and d.fingerprint is not distinct from excluded.fingerprint
    returning * into d_row;

    if found then
      return jsonb_build_object('status', 'claimed', 'attempt', d_row.attempts, 'claim', d_row.claim_id);
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

drop function public.gateway_complete_delivery(text, jsonb);
drop function public.gateway_complete_deliveries(jsonb);
drop function public.gateway_release_delivery(text);

-- Marks a claimed key done and stores the answer to replay. Returns false if it was not pending,
-- or (with `p_claim`) no longer held by that claim.
create function public.gateway_complete_delivery(
  p_key text,
  p_result jsonb,
  p_claim bigint default null
)
returns boolean
language sql
security definer
set search_path = ''
as $$
  with updated as (
    update gateway_private.deliveries
    set state = 'done', result = p_result, completed_at = now(), lease_until = null
    where key = p_key and state = 'pending' and (p_claim is null or claim_id = p_claim)
    returning 1
  )
  select exists (select 1 from updated);
$$;

-- Completes many claimed keys in one call: p_items is [{"key": ..., "claim": id, "result": ...}]
-- ("claim" optional, as above; compared as text, so a malformed one matches nothing instead of
-- failing the whole batch). Returns what it completed, as [{"key": ..., "claim": id}, ...]: the
-- same key may come twice in a batch (a stale claim and the current one), and only the claim
-- that held it completed it.
create function public.gateway_complete_deliveries(p_items jsonb)
returns jsonb
language sql
security definer
set search_path = ''
as $$
  with updated as (
    update gateway_private.deliveries d
    set state = 'done', result = i.value -> 'result', completed_at = now(), lease_until = null
    from jsonb_array_elements(p_items) as i
    where d.key = i.value ->> 'key' and d.state = 'pending'
      and (i.value ->> 'claim' is null or d.claim_id::text = i.value ->> 'claim')
    returning d.key, d.claim_id
  )
  select coalesce(jsonb_agg(jsonb_build_object('key', key, 'claim', claim_id)), '[]'::jsonb)
  from updated;
$$;

-- Gives a claimed key back so a retry can run it again (the command failed retryably). With
-- `p_claim`, only while that claim still holds it.
create function public.gateway_release_delivery(p_key text, p_claim bigint default null)
returns boolean
language sql
security definer
set search_path = ''
as $$
  with deleted as (
    delete from gateway_private.deliveries
    where key = p_key and state = 'pending' and (p_claim is null or claim_id = p_claim)
    returning 1
  )
  select exists (select 1 from deleted);
$$;

-- Renews the lease of a claim still held, for `p_lease_seconds` from now. Returns false when the
-- key is no longer that claim's (taken over, completed or released).
create function public.gateway_extend_delivery(
  p_key text,
  p_claim bigint,
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
  where key = p_key and state = 'pending' and claim_id = p_claim;
  return found;
end;
$$;

revoke all on function public.gateway_complete_delivery(text, jsonb, bigint) from public, anon, authenticated;
revoke all on function public.gateway_complete_deliveries(jsonb) from public, anon, authenticated;
revoke all on function public.gateway_release_delivery(text, bigint) from public, anon, authenticated;
revoke all on function public.gateway_extend_delivery(text, bigint, integer) from public, anon, authenticated;
grant execute on function public.gateway_complete_delivery(text, jsonb, bigint) to service_role;
grant execute on function public.gateway_complete_deliveries(jsonb) to service_role;
grant execute on function public.gateway_release_delivery(text, bigint) to service_role;
grant execute on function public.gateway_extend_delivery(text, bigint, integer) to service_role;
