-- Provider profiles: a named provider with its settings (never a secret: keys come from
-- the environment or a key file the settings name).
CREATE TABLE provider_profiles (
  name TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  settings TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
