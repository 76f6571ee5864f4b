/** Provider profiles on disk. A row that no longer parses is reported and left out, never a crash. */
import type { Database } from 'better-sqlite3'
import { ProviderProfile } from '../../../../shared/providers'
import type { ResealedKey } from '../../../queue/store'
import { ResealConflict } from '../../reseal-conflict'
import { sql } from '../db/connection'

export interface ProfileRow {
  name: string
  provider: string
  settings: string
}

export function listProfiles(db: Database, onDamaged: (name: string, reason: string) => void = () => {}): ProviderProfile[] {
  return parseProfiles(sql(db, 'SELECT name, provider, settings FROM provider_profiles ORDER BY name').all() as ProfileRow[], onDamaged)
}

/** Profile rows as read, by name, parsed; a row that does not parse is reported and left out (every store reads them so). */
/** A profile row left out, said where an operator running the CLI or reading the log sees it. */
export const damagedProfileSaid = (name: string, reason: string): void => console.error(`genops: provider profile "${name}" is left out: ${reason}`)

export function parseProfiles(rows: readonly ProfileRow[], onDamaged: (name: string, reason: string) => void): ProviderProfile[] {
  return rows.flatMap((row) => {
    let settings: unknown
    try {
      settings = JSON.parse(row.settings)
    } catch {
      onDamaged(row.name, 'its settings are not JSON')
      return []
    }
    const parsed = ProviderProfile.safeParse({ ...(settings as object), name: row.name, provider: row.provider })
    if (!parsed.success) {
      onDamaged(row.name, parsed.error.issues[0]?.message ?? 'its settings do not parse')
      return []
    }
    return [parsed.data]
  })
}

/** A profile as its row keeps it: the name and provider in columns, the rest as JSON. */
export function profileRow(profile: ProviderProfile): ProfileRow {
  const { name, provider, ...settings } = profile
  return { name, provider, settings: JSON.stringify(settings) }
}

/** `secret`, when given, is written in the same statement: no reader sees the profile without the key it was saved with. */
export function saveProfile(db: Database, profile: ProviderProfile, now: number, secret?: Buffer): void {
  const { name, provider, settings } = profileRow(profile)
  const keep = secret === undefined
  sql(
    db,
    `INSERT INTO provider_profiles (name, provider, settings, updated_at, secret) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (name) DO UPDATE SET provider = excluded.provider, settings = excluded.settings, updated_at = excluded.updated_at${keep ? '' : ', secret = excluded.secret'}`,
  ).run(name, provider, settings, now, secret ?? null)
}

export function removeProfile(db: Database, name: string): boolean {
  return sql(db, 'DELETE FROM provider_profiles WHERE name = ?').run(name).changes > 0
}

/** Sets (or with null clears) a profile's encrypted key; false when there is no such profile. */
export function setProfileSecret(db: Database, name: string, secret: Buffer | null): boolean {
  return sql(db, 'UPDATE provider_profiles SET secret = ? WHERE name = ?').run(secret, name).changes > 0
}

/** Replaces sealed keys in one transaction, each only where the profile still holds the key it was read with; else none. */
export function resealProfileSecrets(db: Database, changes: readonly ResealedKey[]): void {
  const update = sql(db, 'UPDATE provider_profiles SET secret = ? WHERE name = ? AND secret = ?')
  db.transaction(() => {
    for (const { name, from, to } of changes) if (update.run(to, name, from).changes === 0) throw new ResealConflict(name)
  }).immediate()
}

/** The encrypted keys of the profiles that have one, by profile name. */
export function profileSecrets(db: Database): Map<string, Buffer> {
  const rows = sql(db, 'SELECT name, secret FROM provider_profiles WHERE secret IS NOT NULL').all() as { name: string; secret: Buffer }[]
  return new Map(rows.map((row) => [row.name, row.secret]))
}
