/**
 * Settings every process on the queue shares, on PostgreSQL: `setting:<key>` rows of
 * queue_settings holding JSON, as SQLite keeps them (sqlite/queue/shared-settings.ts).
 */
import { PREFIX, settingsFrom } from '../sqlite/queue/shared-settings'
import type { Queryable } from './transaction'

export async function sharedSettings(client: Queryable): Promise<Map<string, unknown>> {
  const { rows } = await client.query<{ key: string; value: string }>(`SELECT key, value FROM queue_settings WHERE key LIKE 'setting:%'`)
  return settingsFrom(rows)
}

/** Sets a shared setting, or (undefined) removes it so its default applies again. */
export async function setSharedSetting(client: Queryable, key: string, value: unknown): Promise<void> {
  if (value === undefined) await client.query('DELETE FROM queue_settings WHERE key = $1', [PREFIX + key])
  else {
    await client.query(`INSERT INTO queue_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [
      PREFIX + key,
      JSON.stringify(value),
    ])
  }
}
