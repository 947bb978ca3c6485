-- create_link_code honours an idempotency key. The gateway's `link-code` command runs under the
-- caller's Idempotency-Key; when a gateway died between its answer and the ledger's record of it,
-- the same key on another instance ran the command again, and the new code retired the one the
-- client already held ("That code is not valid").
--
-- Now `create_link_code(p_idempotency_key text default null)`:
-- - without a key (`POST /rest/v1/rpc/create_link_code` with `{}`, as the web app calls it, and as
--   a gateway deployed before this migration does): unchanged, a fresh random code that retires
--   the user's unused ones;
-- - with a key: the code is derived from (user, key) by an HMAC under a secret this migration
--   generates, so the same user and key always give the same code. When that code's row exists,
--   it is returned as it is, with its own expiry (used or expired, as the first answer said), and
--   nothing is retired. Otherwise it is stored like a random one, retiring the unused others.
-- Codes stay stored hashed; the secret sits in gateway_private, which no API role can read.

create table gateway_private.link_code_secret (
  only_row boolean primary key default true check (only_row),
  secret bytea not null default extensions.gen_random_bytes(32)
);

comment on table gateway_private.link_code_secret is
  'Key of the HMAC that derives a link code from (user, idempotency key). Never exposed.';

insert into gateway_private.link_code_secret default values;
revoke all on gateway_private.link_code_secret from public, anon, authenticated, service_role;

-- Replaced, not overloaded: two candidates would make the no-argument call ambiguous.
drop function public.create_link_code();

create function public.create_link_code(p_idempotency_key text default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user uuid := auth.uid();
  v_alphabet constant text := 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  v_bytes bytea;
  v_code text := '';
  v_hash bytea;
  v_row gateway_private.link_codes;
  v_expires timestamptz := now() + interval '10 minutes';
begin
  if v_user is null or auth.role() is distinct from 'authenticated' then
    raise exception 'sign in to create a link code' using errcode = '42501';
  end if;
  if p_idempotency_key is null then
    v_bytes := extensions.gen_random_bytes(10);
  elsif char_length(p_idempotency_key) not between 1 and 300 then
    raise exception 'the idempotency key must be 1-300 characters' using errcode = '22023';
  else
    -- The user's id is part of the message: another user's same key gives another code.
    select extensions.hmac(
      convert_to(v_user::text || E'\n' || p_idempotency_key, 'UTF8'), s.secret, 'sha256'
    ) into v_bytes
    from gateway_private.link_code_secret s;
  end if;
  -- 10 characters from a 32-letter alphabet without 0/O/1/I: 50 bits. 256 is a multiple of 32,
  -- so each byte modulo 32 is uniform.
  for i in 0..9 loop
    v_code := v_code || substr(v_alphabet, (get_byte(v_bytes, i) % 32) + 1, 1);
  end loop;
  v_hash := gateway_private.link_code_hash(v_code);

  if p_idempotency_key is not null then
    select * into v_row from gateway_private.link_codes where code_hash = v_hash;
    if found then
      if v_row.user_id <> v_user then -- 50 bits: never seen, but never another user's code
        raise exception 'link code collision; try another key' using errcode = '40001';
      end if;
      return jsonb_build_object('code', v_code, 'expires_at', v_row.expires_at);
    end if;
  end if;

  delete from gateway_private.link_codes
  where user_id = v_user and used_at is null and code_hash <> v_hash;
  -- A concurrent call with the same key may have stored the same code first: keep its row.
  insert into gateway_private.link_codes (code_hash, user_id, expires_at)
  values (v_hash, v_user, v_expires)
  on conflict (code_hash) do nothing;
  if not found then
    select * into v_row from gateway_private.link_codes where code_hash = v_hash;
    if v_row.user_id <> v_user then
      raise exception 'link code collision; try another key' using errcode = '40001';
    end if;
    v_expires := v_row.expires_at;
  end if;
  return jsonb_build_object('code', v_code, 'expires_at', v_expires);
end;
$$;

revoke all on function public.create_link_code(text) from public, anon;
grant execute on function public.create_link_code(text) to authenticated;
