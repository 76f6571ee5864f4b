-- Triage data kept with each attempt. The severity its error category declared when it
-- failed (src/shared/errors.ts ERROR_CATEGORIES: info, warning, critical; NULL for an attempt
-- that succeeded), and for an UNKNOWN failure the error's stack, redacted and trimmed to a
-- few KB by the process that caught it.
ALTER TABLE job_attempts ADD COLUMN error_severity TEXT CHECK (error_severity IN ('info', 'warning', 'critical'));
ALTER TABLE job_attempts ADD COLUMN error_stack TEXT;

-- Earlier failed attempts take their category's severity as this build declares it.
UPDATE job_attempts SET error_severity = CASE error_category
    WHEN 'AUTH' THEN 'critical'
    WHEN 'MODEL' THEN 'critical'
    WHEN 'CANCELLED' THEN 'info'
    WHEN 'TIMEOUT' THEN 'warning'
    WHEN 'RATE_LIMIT' THEN 'warning'
    WHEN 'VALIDATION' THEN 'warning'
    WHEN 'SERVICE_UNAVAILABLE' THEN 'warning'
    WHEN 'NETWORK' THEN 'warning'
    WHEN 'PROVIDER' THEN 'warning'
    WHEN 'UNKNOWN' THEN 'warning'
  END
  WHERE error_category IS NOT NULL;

-- The alert history keeps what fired (and its resolution): pending spells it kept before go.
DELETE FROM alert_history WHERE to_state = 'pending' OR (to_state = 'resolved' AND from_state = 'pending');
