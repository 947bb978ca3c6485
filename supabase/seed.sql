-- Local demo data (dev stack only; never run against a hosted project).
-- Two users with fixed ids so docs and tests can name them, and a few tasks each.
insert into auth.users (id, email, raw_app_meta_data, raw_user_meta_data)
values
  ('a11ce000-0000-4000-8000-000000000001', 'alice@example.com',
   '{"provider": "email", "providers": ["email"], "team": "red"}', '{"name": "Alice"}'),
  ('b0b00000-0000-4000-8000-000000000002', 'bob@example.com',
   '{"provider": "email", "providers": ["email"], "team": "blue"}', '{"name": "Bob"}')
on conflict (id) do nothing;

insert into public.tasks (user_id, title, done, source)
values
  ('a11ce000-0000-4000-8000-000000000001', 'Water the plants', false, 'web'),
  ('a11ce000-0000-4000-8000-000000000001', 'Book the dentist', true, 'web'),
  ('a11ce000-0000-4000-8000-000000000001', 'Call mum', false, 'web'),
  ('b0b00000-0000-4000-8000-000000000002', 'Fix the bike', false, 'web'),
  ('b0b00000-0000-4000-8000-000000000002', 'Plan the trip', false, 'web');
