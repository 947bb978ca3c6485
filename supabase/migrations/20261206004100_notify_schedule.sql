-- The notification drain's backstop on hosted Supabase: pg_cron runs
-- gateway_private.notify_wake_if_due() every 10 seconds, which asks the gateway to drain (through
-- pg_net, with the Vault secrets `gateway_url` and `gateway_service_key`) only when a delivery is
-- due: a retry whose time came, or an enqueue whose wake was lost. The wake right after an
-- enqueue is gateway_notify's own (also pg_net). A daily job purges notifications older than 30
-- days whose deliveries are final.
--
--   gateway-notify-drain          every 10 s     wake the drain when something is due
--   gateway-purge-notifications   03:37 UTC      notifications older than 30 days
--
-- Skipped, with a NOTICE, where pg_cron is not enabled (the local stack drains on its own timer):
-- enable pg_cron (and pg_net) in the dashboard, then run this file's two cron.schedule calls
-- yourself, or re-run this file. Idempotent: cron.schedule with a job name replaces that job.
-- Seconds schedules need pg_cron 1.5 or later (Supabase ships 1.6).
do $notify_schedule$
begin
  if not exists (select 1 from pg_extension where extname = 'pg_cron') then
    raise notice 'pg_cron is not enabled: the notification drain is not scheduled (the local '
      'stack drains on its own timer; see docs/notifications.md for hosted set-up)';
    return;
  end if;
  perform cron.schedule('gateway-notify-drain', '10 seconds',
    'select gateway_private.notify_wake_if_due()');
  perform cron.schedule('gateway-purge-notifications', '37 3 * * *',
    'select public.gateway_purge_notifications()');
  if not exists (select 1 from pg_extension where extname = 'pg_net') then
    raise notice 'pg_net is not enabled: the drain is scheduled but nothing can wake the gateway '
      'until pg_net is enabled and the Vault secrets gateway_url and gateway_service_key exist';
  end if;
end
$notify_schedule$;
