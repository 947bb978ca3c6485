-- TEMPLATE — the table behind the `note` and `notes` commands. Copy it to
-- supabase/migrations/<timestamp>_notes.sql (a timestamp after your newest migration).
-- Owner-only Row Level Security: the same policies apply from the web app and from every chat
-- channel, because the gateway acts with the user's own session.

create table public.notes (
  -- The database's alone: `generated always` refuses an id chosen on insert or changed on update
  -- (with `by default`, a user who inserted the next ids would make everyone's next inserts fail).
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid() references auth.users (id) on delete cascade,
  body text not null check (char_length(body) between 1 and 1000),
  created_at timestamptz not null default now(),
  -- Set by the gateway from the delivery: a retried delivery upserts the same row. 300
  -- characters hold the longest Idempotency-Key with its channel prefix.
  idempotency_key text check (char_length(idempotency_key) <= 300),
  constraint notes_user_idempotency_key unique (user_id, idempotency_key)
);

create index notes_user_created_idx on public.notes (user_id, created_at desc);

alter table public.notes enable row level security;

create policy "owners read their notes" on public.notes
  for select to authenticated using ((select auth.uid()) = user_id);

create policy "owners add their notes" on public.notes
  for insert to authenticated with check ((select auth.uid()) = user_id);

-- Needed by the upsert a redelivery makes (it updates the row it finds).
create policy "owners change their notes" on public.notes
  for update to authenticated
  using ((select auth.uid()) = user_id)
  with check ((select auth.uid()) = user_id);

create policy "owners delete their notes" on public.notes
  for delete to authenticated using ((select auth.uid()) = user_id);

grant select, insert, update, delete on public.notes to authenticated;
grant usage, select on sequence public.notes_id_seq to authenticated;
