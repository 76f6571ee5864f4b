-- A job cancelled while its line waits in a provider batch: the provider still answers that
-- line, and bills it. Its attempt is written at the cancel (outcome cancelled) with the
-- provider batch and the line it holds, and the answer, when it comes, fills in its tokens
-- and cost: keyed by the line, not by the job's current row, so a job retried and sent in
-- another provider batch meanwhile (the same custom_id again: a retry starts its attempts
-- over) is billed for each line, once each.
ALTER TABLE job_attempts ADD COLUMN provider_batch_id INTEGER;
ALTER TABLE job_attempts ADD COLUMN batch_line TEXT;
CREATE INDEX job_attempts_by_batch_line ON job_attempts (provider_batch_id, batch_line) WHERE provider_batch_id IS NOT NULL;
