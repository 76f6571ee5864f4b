-- An API key for a profile, encrypted by the desktop app's OS keychain (Electron
-- safeStorage) before it is written: never plain text on disk.
ALTER TABLE provider_profiles ADD COLUMN secret BLOB;
