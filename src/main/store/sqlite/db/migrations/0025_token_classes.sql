-- Token classes (issue 17): input read from a provider's prompt cache (OpenAI's cached
-- tokens, Anthropic's cache reads) and input written to it (Anthropic's cache writes), each
-- priced at its own rate. input_tokens from here on is the plain input only, so the three
-- input classes add up to the attempt's input and no token is counted twice. Rows written
-- before this migration knew no classes: they read as 0 cached and 0 written (all their
-- input was plain input as far as anyone can tell now).
ALTER TABLE job_attempts ADD COLUMN cached_input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_attempts ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;

ALTER TABLE usage_rollups ADD COLUMN cached_input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;

ALTER TABLE tag_rollups ADD COLUMN cached_input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tag_rollups ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;

ALTER TABLE batches ADD COLUMN cached_input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;

-- A cached answer's classes, so what a hit saves is priced as the answer was.
ALTER TABLE response_cache ADD COLUMN cached_input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE response_cache ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
