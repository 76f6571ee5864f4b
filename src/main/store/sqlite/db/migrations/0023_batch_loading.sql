-- Intake without a freeze: a big batch is written in short transactions while it loads,
-- so the write lock is never held long. Until one small transaction clears loading_owner,
-- no claim takes its jobs and no count includes them (queue/sqlite/load.ts). The owner
-- names the loading process (queue/lease-owner.ts): a load whose process died is removed
-- whole at the next start.
ALTER TABLE batches ADD COLUMN loading_owner TEXT;
CREATE INDEX batches_loading ON batches (loading_owner) WHERE loading_owner IS NOT NULL;
