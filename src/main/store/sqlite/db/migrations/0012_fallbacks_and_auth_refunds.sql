-- Where an attempt ran when its job's profile was held and a fallback took it ("backup" or
-- "backup/model"); NULL for an attempt on the job's own provider, as every earlier one was.
ALTER TABLE job_attempts ADD COLUMN ran_on TEXT;

-- AUTH failures given back to the job since it was last (re)queued by hand: past the cap the
-- next one kills the job as AUTH instead of pausing its provider again and again.
ALTER TABLE jobs ADD COLUMN auth_refunds INTEGER NOT NULL DEFAULT 0 CHECK (auth_refunds >= 0);
