/**
 * Settings every process on the queue shares (retention, backoff, breaker thresholds: see
 * src/main/settings), kept in queue_settings as `setting:<key>` rows whose value is JSON.
 * Read back as `unknown`: the settings module validates them against the engine's schema.
 */
import type { Database } from 'better-sqlite3'
import { sql } from '../db/connection'

export const PREFIX = 'setting:'

export function sharedSettings(db: Database): Map<string, unknown> {
  return settingsFrom(sql(db, `SELECT key, value FROM queue_settings WHERE key LIKE 'setting:%'`).all() as { key: string; value: string }[])
}

/** The `setting:` rows as read, by key without the prefix (every store reads them so). */
export function settingsFrom(rows: readonly { key: string; value: string }[]): Map<string, unknown> {
  const settings = new Map<string, unknown>()
  for (const row of rows) {
    try {
      settings.set(row.key.slice(PREFIX.length), JSON.parse(row.value) as unknown)
    } catch {
      // Not JSON: a row no version of GenOps wrote. Left out, so the default applies.
    }
  }
  return settings
}

/** Sets a shared setting, or (undefined) removes it so its default applies again. */
export function setSharedSetting(db: Database, key: string, value: unknown): void {
  if (value === undefined) sql(db, 'DELETE FROM queue_settings WHERE key = ?').run(PREFIX + key)
  else {
    sql(db, `INSERT INTO queue_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(
      PREFIX + key,
      JSON.stringify(value),
    )
  }
}
