-- Two endpoints of one kind (two accounts, an OpenAI-compatible gateway beside OpenAI) may
-- number their provider batches alike: a provider batch's id is unique for its profile, not
-- for its kind. (Recording one the provider accepted must never be refused.)
DROP INDEX provider_batches_by_remote;
CREATE UNIQUE INDEX provider_batches_by_remote ON provider_batches (provider, kind, remote_id) WHERE remote_id IS NOT NULL;
