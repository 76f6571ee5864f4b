-- What an operator (or another engine) changes beside the jobs is news to every engine: the
-- queue's pause and shared settings, provider pauses and cool-downs, profiles, budgets, prices,
-- breaker commands, alert rules, a batch's pause or cap. Engines reread those when the change
-- feed moves (SQLite's data_version moves on any commit), so each such write announces itself
-- on the queue's channel, once a statement. `from` is the writing store's name, which each
-- store sets on its connections (connect.ts), so its own changes are not news to it.
CREATE FUNCTION genops_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('genops_queue', json_build_object('from', current_setting('genops.source', true), 'what', 'changed')::text);
  RETURN NULL;
END
$$;

CREATE TRIGGER queue_settings_announced AFTER INSERT OR UPDATE OR DELETE ON queue_settings
  FOR EACH STATEMENT EXECUTE FUNCTION genops_announce_change();
CREATE TRIGGER provider_pauses_announced AFTER INSERT OR UPDATE OR DELETE ON provider_pauses
  FOR EACH STATEMENT EXECUTE FUNCTION genops_announce_change();
CREATE TRIGGER provider_cooldowns_announced AFTER INSERT OR UPDATE OR DELETE ON provider_cooldowns
  FOR EACH STATEMENT EXECUTE FUNCTION genops_announce_change();
CREATE TRIGGER provider_profiles_announced AFTER INSERT OR UPDATE OR DELETE ON provider_profiles
  FOR EACH STATEMENT EXECUTE FUNCTION genops_announce_change();
CREATE TRIGGER budgets_announced AFTER INSERT OR UPDATE OR DELETE ON budgets
  FOR EACH STATEMENT EXECUTE FUNCTION genops_announce_change();
CREATE TRIGGER price_overrides_announced AFTER INSERT OR UPDATE OR DELETE ON price_overrides
  FOR EACH STATEMENT EXECUTE FUNCTION genops_announce_change();
CREATE TRIGGER breaker_events_announced AFTER INSERT ON breaker_events
  FOR EACH STATEMENT EXECUTE FUNCTION genops_announce_change();
CREATE TRIGGER alert_rules_announced AFTER INSERT OR UPDATE OR DELETE ON alert_rules
  FOR EACH STATEMENT EXECUTE FUNCTION genops_announce_change();
-- Not the settle's running figures: only the operator's pause and cap.
CREATE TRIGGER batch_holds_announced AFTER UPDATE OF paused_at, max_concurrency ON batches
  FOR EACH STATEMENT EXECUTE FUNCTION genops_announce_change();
