-- A claim whose answer was lost can be asked again, or released. Before this, a claim that
-- committed while its answer never reached the gateway (a connection dropped after the call,
-- or the gateway's timeout) held its key for a whole lease with nobody running the delivery:
-- the gateway could neither release it (it never learnt the claim's id) nor tell it was its own,
-- so a redelivery was told "in progress" (Discord, which never redelivers: "already being
-- handled", and the interaction was never done).
--
-- `gateway_claim_delivery` now takes the claim's id from the caller (`p_claim`, chosen at
-- random by the gateway, far above the sequence's values): asked again with the same id while
-- that claim still holds the key, it answers "claimed" again (the lease renewed, the attempt
-- count unchanged), and a gateway that could not learn the outcome releases that id. Without
-- `p_claim` the id comes from the sequence as before, so gateways deployed before this keep
-- working (rolling deploys: the database first, then the function).

drop function public.gateway_claim_delivery(text, text, integer);

create function public.gateway_claim_delivery(
  p_key text,
  p_fingerprint text default null,
  p_lease_seconds integer default 30,
  p_claim bigint default null
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
      coalesce(p_claim, nextval('gateway_private.delivery_claims'))
    )
    on conflict (key) do update
      set lease_until = excluded.lease_until,
        attempts = case when d.claim_id = excluded.claim_id then d.attempts else d.attempts + 1 end,
        claim_id = excluded.claim_id
      where d.state = 'pending'
        and (d.lease_until < now() or d.claim_id = excluded.claim_id)
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

revoke all on function public.gateway_claim_delivery(text, text, integer, bigint) from public, anon, authenticated;
grant execute on function public.gateway_claim_delivery(text, text, integer, bigint) to service_role;
