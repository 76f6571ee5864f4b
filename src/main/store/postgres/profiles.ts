/** Provider profiles on PostgreSQL, read and written as SQLite's (sqlite/queue/profiles.ts): a row that no longer parses is reported and left out. */
import type { ProviderProfile } from '../../../shared/providers'
import type { ResealedKey } from '../../queue/store'
import { parseProfiles, profileRow, type ProfileRow } from '../sqlite/queue/profiles'
import { ResealConflict } from '../reseal-conflict'
import type { Queryable } from './transaction'

export async function listProfiles(client: Queryable, onDamaged: (name: string, reason: string) => void = () => {}): Promise<ProviderProfile[]> {
  // COLLATE "C": ordered by bytes, as SQLite orders text, whatever the database's locale.
  const { rows } = await client.query<ProfileRow>('SELECT name, provider, settings FROM provider_profiles ORDER BY name COLLATE "C"')
  return parseProfiles(rows, onDamaged)
}

/** `secret`, when given, is written in the same statement: no engine reads the profile without the key it was saved with. */
export async function saveProfile(client: Queryable, profile: ProviderProfile, now: number, secret?: Buffer): Promise<void> {
  const { name, provider, settings } = profileRow(profile)
  const keep = secret === undefined
  await client.query(
    `INSERT INTO provider_profiles (name, provider, settings, updated_at, secret) VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (name) DO UPDATE SET provider = excluded.provider, settings = excluded.settings, updated_at = excluded.updated_at${keep ? '' : ', secret = excluded.secret'}`,
    [name, provider, settings, now, secret ?? null],
  )
}

export async function removeProfile(client: Queryable, name: string): Promise<boolean> {
  return ((await client.query('DELETE FROM provider_profiles WHERE name = $1', [name])).rowCount ?? 0) > 0
}

/** Sets (or with null clears) a profile's encrypted key; false when there is no such profile. */
export async function setProfileSecret(client: Queryable, name: string, secret: Buffer | null): Promise<boolean> {
  return ((await client.query('UPDATE provider_profiles SET secret = $1 WHERE name = $2', [secret, name])).rowCount ?? 0) > 0
}

/**
 * Replaces sealed keys all at once (a team key's rotation): each only where the profile still
 * holds the key it was read with, else none is replaced and the call fails naming the profile.
 * Run inside the caller's transaction.
 */
export async function resealProfileSecrets(client: Queryable, changes: readonly ResealedKey[]): Promise<void> {
  for (const { name, from, to } of changes) {
    const { rowCount } = await client.query('UPDATE provider_profiles SET secret = $1 WHERE name = $2 AND secret = $3', [to, name, from])
    if (!rowCount) throw new ResealConflict(name)
  }
}

/** The encrypted keys of the profiles that have one, by profile name. */
export async function profileSecrets(client: Queryable): Promise<Map<string, Buffer>> {
  const { rows } = await client.query<{ name: string; secret: Buffer }>('SELECT name, secret FROM provider_profiles WHERE secret IS NOT NULL')
  return new Map(rows.map((row) => [row.name, row.secret]))
}
