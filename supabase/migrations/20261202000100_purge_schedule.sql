-- Schedules the gateway's two purges with pg_cron where the server has it (hosted Supabase),
-- and does nothing, with a NOTICE, where it does not (the local stack: Debian's PostgreSQL
-- ships no pg_cron).
--
--   gateway-purge-deliveries   03:17 UTC daily   ledger rows older than 7 days
--   gateway-purge-link-state   03:47 UTC daily   link codes and failed attempts older than a day
--
-- Idempotent: `cron.schedule` with a job name replaces that job, so re-running this file (or
-- changing a schedule here in a later migration) never duplicates a job. Supabase enables pg_cron
-- with `create extension pg_cron with schema pg_catalog`
-- (https://supabase.com/docs/guides/cron/install); the extension's objects live in schema `cron`.
-- A server that lists pg_cron but cannot load it (installed, but not in
-- shared_preload_libraries) is also skipped with a NOTICE rather than failing the migration.
do $purge_schedule$
begin
  if not exists (select 1 from pg_available_extensions where name = 'pg_cron') then
    raise notice 'pg_cron is not available on this server: purges not scheduled (run '
      'gateway_purge_deliveries() and gateway_purge_link_state() yourself)';
    return;
  end if;
  begin
    create extension if not exists pg_cron with schema pg_catalog;
  exception when others then
    raise notice 'pg_cron is available but could not be enabled (%): purges not scheduled',
      sqlerrm;
    return;
  end;
  perform cron.schedule('gateway-purge-deliveries', '17 3 * * *',
    'select public.gateway_purge_deliveries()');
  perform cron.schedule('gateway-purge-link-state', '47 3 * * *',
    'select public.gateway_purge_link_state()');
  raise notice 'purges scheduled with pg_cron: gateway-purge-deliveries, gateway-purge-link-state';
end
$purge_schedule$;
