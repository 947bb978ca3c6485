-- A link code that was used or retired never becomes valid again, whatever purges ran.
--
-- The link_code_idempotency migration derived a keyed code from (user, key) alone, and stored it
-- whenever its row was missing. Once the used code's row was purged (a day after it expired), or
-- when a newer code had retired (deleted) it, the same key brought the same code back, unused,
-- with a fresh expiry: whoever had once seen it could link their own chat account to the user.
--
-- Now each (user, key) is remembered in gateway_private.link_code_keys, with a random nonce that
-- goes into the code's derivation and the expiry the first answer gave:
-- - within the window (7 days from the key's first use, as long as the gateway's ledger keeps an
--   HTTPS Idempotency-Key's answer), the same user and key get the same code and the same expiry,
--   and nothing is stored or retired: a code that was used, expired, retired or purged since is
--   answered as it is, and stays unusable;
-- - after the window (or once the purge removed the key's row) the key is new again: a fresh nonce
--   makes a fresh code, stored like any other. The old code is never derived again.
-- Without a key (`POST /rest/v1/rpc/create_link_code` with `{}`) nothing changes: a fresh random
-- code that retires the user's unused ones. A key first used before this migration gets a new code
-- on its next use (its old code stays as it was).
--
-- gateway_purge_link_state also deletes the key rows past the window. The window is defined once,
-- in gateway_private.link_code_key_window().

create table gateway_private.link_code_keys (
  user_id uuid not null references auth.users (id) on delete cascade,
  -- sha256 of the idempotency key: keys may be 300 characters, and are not needed back.
  key_hash bytea not null,
  nonce bytea not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  primary key (user_id, key_hash)
);

comment on table gateway_private.link_code_keys is
  'Idempotency keys of create_link_code: the nonce of the code each (user, key) got, and its expiry.';

create index link_code_keys_created_idx on gateway_private.link_code_keys (created_at);

revoke all on gateway_private.link_code_keys from public, anon, authenticated, service_role;

create function gateway_private.link_code_key_window()
returns interval
language sql
immutable
set search_path = ''
as $$ select interval '7 days' $$;

revoke all on function gateway_private.link_code_key_window() from public, anon, authenticated;

create or replace function public.create_link_code(p_idempotency_key text default null)
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
  v_key_hash bytea;
  v_key gateway_private.link_code_keys;
  v_fresh boolean := true;
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
    v_key_hash := extensions.digest(convert_to(p_idempotency_key, 'UTF8'), 'sha256');
    -- A new key, or one past its window, takes a fresh nonce; a key within its window keeps its
    -- row (the WHERE refuses the update, so nothing is returned). A concurrent call with the same
    -- key waits here for the first one's row.
    insert into gateway_private.link_code_keys as k (user_id, key_hash, nonce, expires_at)
    values (v_user, v_key_hash, extensions.gen_random_bytes(16), v_expires)
    on conflict (user_id, key_hash) do update
      set nonce = excluded.nonce, created_at = now(), expires_at = excluded.expires_at
      where k.created_at <= now() - gateway_private.link_code_key_window()
    returning * into v_key;
    if not found then
      v_fresh := false;
      select * into v_key from gateway_private.link_code_keys
      where user_id = v_user and key_hash = v_key_hash;
      v_expires := v_key.expires_at;
    end if;
    -- Fixed-length fields first, the key last: no two (user, nonce, key) give the same message.
    select extensions.hmac(
      convert_to(v_user::text || E'\n' || encode(v_key.nonce, 'hex') || E'\n' || p_idempotency_key,
        'UTF8'),
      s.secret, 'sha256'
    ) into v_bytes
    from gateway_private.link_code_secret s;
  end if;
  -- 10 characters from a 32-letter alphabet without 0/O/1/I: 50 bits. 256 is a multiple of 32,
  -- so each byte modulo 32 is uniform.
  for i in 0..9 loop
    v_code := v_code || substr(v_alphabet, (get_byte(v_bytes, i) % 32) + 1, 1);
  end loop;
  -- The key's code was answered before: the same answer, whatever became of the code since.
  if not v_fresh then
    return jsonb_build_object('code', v_code, 'expires_at', v_expires);
  end if;

  v_hash := gateway_private.link_code_hash(v_code);
  delete from gateway_private.link_codes
  where user_id = v_user and used_at is null and code_hash <> v_hash;
  insert into gateway_private.link_codes (code_hash, user_id, expires_at)
  values (v_hash, v_user, v_expires)
  on conflict (code_hash) do nothing;
  if not found then -- 50 bits: never seen, but never another code's row (and never revived)
    raise exception 'link code collision; try again' using errcode = '40001';
  end if;
  return jsonb_build_object('code', v_code, 'expires_at', v_expires);
end;
$$;

-- `create or replace` keeps the privileges; stated again for readers.
revoke all on function public.create_link_code(text) from public, anon;
grant execute on function public.create_link_code(text) to authenticated;

-- Deletes link codes and failed attempts that can no longer matter (older than a day), and the
-- idempotency keys of link codes past their window. Returns how many rows went.
create or replace function public.gateway_purge_link_state()
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_codes integer;
  v_attempts integer;
  v_keys integer;
begin
  delete from gateway_private.link_codes where expires_at < now() - interval '1 day';
  get diagnostics v_codes = row_count;
  delete from gateway_private.link_attempts where attempted_at < now() - interval '1 day';
  get diagnostics v_attempts = row_count;
  delete from gateway_private.link_code_keys
  where created_at <= now() - gateway_private.link_code_key_window();
  get diagnostics v_keys = row_count;
  return v_codes + v_attempts + v_keys;
end;
$$;

revoke all on function public.gateway_purge_link_state() from public, anon, authenticated;
grant execute on function public.gateway_purge_link_state() to service_role;
