-- The jobs screen's filters and sorts. Both indexes are on columns a job never changes
-- after it is enqueued, so they cost an insert and a delete, never a state transition.

-- A provider and model's jobs, newest first; also the filter's list of models in use, one
-- seek per (provider, model).
CREATE INDEX jobs_by_model ON jobs (provider, model, id);
-- The list sorted by priority: each priority's jobs newest first.
CREATE INDEX jobs_by_priority ON jobs (priority, id);
