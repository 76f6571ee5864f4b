/**
 * A team key's rotation: every profile key sealed with the team key in use is opened with it
 * and sealed with the new one, all in one transaction, or none is (a key that does not open,
 * or one saved meanwhile, stops it before anything is written). Keys a machine's keychain
 * sealed are not the team's: they stay as they are, and are named. Once it is done, each
 * engine needs the new key file to open the keys; until it has it, it holds those profiles'
 * jobs (the profile-keys health check says so), and sends none without a key.
 */
import type { QueueStore, ResealedKey } from './queue/store'
import { keyBinding, type SecretBox } from './secret-box'
import { isTeamSealed, MAKE_TEAM_KEY, TeamKeyError } from './team-key'

export interface Rotation {
  /** The profiles whose key is sealed with the new team key now. */
  resealed: string[]
  /** Keys left as they were: sealed by one machine's keychain, not by the team key. */
  kept: string[]
}

/** Refuses without writing anything when a team-sealed key does not open with `from`, naming each such profile and why. */
export async function rotateTeamKey(
  store: Pick<QueueStore, 'listProfiles' | 'profileSecrets' | 'resealProfileSecrets'>,
  from: SecretBox,
  to: SecretBox,
): Promise<Rotation> {
  if (sameKey(from, to)) throw new TeamKeyError(`the new team key is the one in use: make a new one with \`${MAKE_TEAM_KEY}\``)
  const profiles = new Map((await store.listProfiles()).map((profile) => [profile.name, profile]))
  const changes: ResealedKey[] = []
  const kept: string[] = []
  const refused: string[] = []
  for (const [name, secret] of await store.profileSecrets()) {
    if (!isTeamSealed(secret)) {
      kept.push(name)
      continue
    }
    const profile = profiles.get(name)
    // Its key is bound to settings this engine cannot read: it cannot be resealed, and must not be left under the old key.
    if (!profile) {
      refused.push(`profile ${name}: its settings do not parse here, so its key cannot be resealed (repair or remove the profile)`)
      continue
    }
    const bound = keyBinding(profile)
    try {
      changes.push({ name, from: secret, to: to.encrypt(from.decrypt(secret, bound), bound) })
    } catch (error) {
      refused.push(`profile ${name}: ${(error as Error).message}`)
    }
  }
  if (refused.length > 0) {
    throw new TeamKeyError(`no key was resealed: ${refused.join('; ')}. Give the command the team key these keys were sealed with (the teamKeyFile setting)`)
  }
  await store.resealProfileSecrets(changes)
  return { resealed: changes.map((change) => change.name), kept }
}

/** Whether two boxes hold one key: what one seals, the other opens. */
function sameKey(a: SecretBox, b: SecretBox): boolean {
  try {
    a.decrypt(b.encrypt('probe', 'probe'), 'probe')
    return true
  } catch {
    return false
  }
}
