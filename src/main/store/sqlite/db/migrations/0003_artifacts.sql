-- Where a completed job's output was written: <dataDir>/artifacts/<batch>/<name>.<ext>.
ALTER TABLE jobs ADD COLUMN artifact TEXT;
