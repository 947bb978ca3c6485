-- A notification's buttons, checked in SQL by the gateway's own rules for what SQL can know (the
-- command registry stays the gateway's): gateway_notify refuses what POST /notify refuses, instead
-- of enqueueing a button that makes every delivery `failed` ("broken button") when it is sent.
-- Before, SQL counted a label's length in code points (the gateway: UTF-16 units, as JavaScript
-- does, so 21 emoji passed SQL and failed the gateway), took a label of only spaces, and did not
-- look at `style` or `then`. The gateway's rules (adapters/notify/buttons.ts, actions.ts):
--
--   label   a string of 1-40 UTF-16 units, not only blanks (JavaScript's trim())
--   command a command name ([a-z0-9_-]{1,32}); the gateway checks that it is registered
--   args    an object, or absent / null
--   style   primary, secondary, success or danger, or absent / null
--   then    {"command": a command name, "args"?: an object}, or absent / null
--
-- Same signature; still raises 22023, now saying which rule a button broke.

-- The length of `p_text` in UTF-16 code units, as JavaScript's `length` counts it: a character
-- past U+FFFF (most emoji) is two.
create function gateway_private.utf16_length(p_text text)
returns integer
language sql
immutable
strict
set search_path = ''
as $$
  select char_length(p_text)
    + char_length(regexp_replace(p_text, '[^\U00010000-\U0010FFFF]', '', 'g'));
$$;

revoke all on function gateway_private.utf16_length(text) from public, anon, authenticated;

create or replace function gateway_private.notification_actions(p_actions jsonb)
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_rows jsonb;
  v_row jsonb;
  v_action jsonb;
  v_label text;
  v_then jsonb;
begin
  if p_actions is null or p_actions = 'null'::jsonb or p_actions = '[]'::jsonb then
    return null;
  end if;
  if jsonb_typeof(p_actions) <> 'array' then
    raise exception 'gateway_notify: actions must be an array of buttons, or of rows of buttons'
      using errcode = '22023';
  end if;
  v_rows := case when jsonb_typeof(p_actions -> 0) = 'array' then p_actions
    else jsonb_build_array(p_actions) end;
  if jsonb_array_length(v_rows) > 5 then
    raise exception 'gateway_notify: at most 5 rows of buttons' using errcode = '22023';
  end if;
  for v_row in select value from jsonb_array_elements(v_rows) loop
    if jsonb_typeof(v_row) <> 'array' or jsonb_array_length(v_row) not between 1 and 5 then
      raise exception 'gateway_notify: each row holds 1 to 5 buttons' using errcode = '22023';
    end if;
    for v_action in select value from jsonb_array_elements(v_row) loop
      if jsonb_typeof(v_action) <> 'object' then
        raise exception 'gateway_notify: a button is an object {"label", "command", "args"?}'
          using errcode = '22023';
      end if;
      v_label := case when jsonb_typeof(v_action -> 'label') = 'string'
        then v_action ->> 'label' end;
      if v_label is null or gateway_private.utf16_length(v_label) not between 1 and 40
        or gateway_private.is_blank(v_label) then
        raise exception 'gateway_notify: a button''s label is 1-40 characters (UTF-16 units, '
          'as JavaScript counts them), not only blanks' using errcode = '22023';
      end if;
      if coalesce(v_action ->> 'command', '') !~ '^[a-z0-9_-]{1,32}$'
        or jsonb_typeof(v_action -> 'command') <> 'string' then
        raise exception 'gateway_notify: button "%": command must be a command name', v_label
          using errcode = '22023';
      end if;
      if coalesce(jsonb_typeof(v_action -> 'args'), 'null') not in ('object', 'null') then
        raise exception 'gateway_notify: button "%": args must be an object', v_label
          using errcode = '22023';
      end if;
      if coalesce(jsonb_typeof(v_action -> 'style'), 'null') <> 'null'
        and coalesce(v_action ->> 'style', '') not in ('primary', 'secondary', 'success', 'danger')
      then
        raise exception 'gateway_notify: button "%": style is primary, secondary, success or '
          'danger', v_label using errcode = '22023';
      end if;
      v_then := v_action -> 'then';
      if coalesce(jsonb_typeof(v_then), 'null') <> 'null' and (
        jsonb_typeof(v_then) <> 'object'
        or jsonb_typeof(v_then -> 'command') is distinct from 'string'
        or v_then ->> 'command' !~ '^[a-z0-9_-]{1,32}$'
        or coalesce(jsonb_typeof(v_then -> 'args'), 'null') not in ('object', 'null')
      ) then
        raise exception 'gateway_notify: button "%": then is {"command": a command name, '
          '"args": an object}', v_label using errcode = '22023';
      end if;
    end loop;
  end loop;
  return v_rows;
end;
$$;

revoke all on function gateway_private.notification_actions(jsonb) from public, anon, authenticated;
