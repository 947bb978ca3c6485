-- Readiness probe for the gateway's /health: proves PostgREST reaches the database.
create function public.gateway_health()
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object('ok', true, 'at', now());
$$;

revoke all on function public.gateway_health() from public, anon, authenticated;
grant execute on function public.gateway_health() to service_role;
