/**
 * Encryption for the API keys kept with profiles. Two boxes can seal them: the machine's
 * keychain (the Electron shell hands the engine one built on safeStorage) and the team key
 * (team-key.ts: a file every engine on a team store is given). On a team store only the
 * team key seals, since a key one machine's keychain sealed opens on no other engine; on the
 * data directory's own SQLite file the team key, when given, else the keychain. With neither
 * no key is kept: keys come from the environment or a key file.
 */
import type { SecretBox } from './secret-box'
import { isTeamSealed } from './team-key'

export interface KeyBoxes {
  keychain?: SecretBox | undefined
  teamKey?: SecretBox | undefined
  /** The engine works on a team's PostgreSQL store. */
  teamStore: boolean
}

/** The profiles' keys as this engine seals and opens them. */
export interface ProfileKeyBox {
  /** Seals a key for the store, bound to `bound` (keyBinding); undefined where this engine keeps no keys (`refusal` says why). */
  seal: ((plain: string, bound: string) => Buffer) | undefined
  refusal: string
  /** The key; throws saying why this engine cannot open it. */
  open(cipher: Buffer, bound: string): string
}

export function profileKeyBox({ keychain, teamKey, teamStore }: KeyBoxes): ProfileKeyBox {
  const machine = teamStore ? undefined : keychain
  const sealer = teamKey ?? machine
  return {
    seal: sealer && ((plain, bound) => sealer.encrypt(plain, bound)),
    refusal: teamStore
      ? "on a team store every engine must open a profile's key: give each engine the same team key (the teamKeyFile setting), or give the profile a key file, or set OPENAI_API_KEY or ANTHROPIC_API_KEY"
      : 'this GenOps keeps no API keys (the desktop app keeps them in the OS keychain): give it a team key (the teamKeyFile setting), or give the profile a key file, or set OPENAI_API_KEY or ANTHROPIC_API_KEY',
    open(cipher, bound) {
      if (isTeamSealed(cipher)) {
        if (!teamKey) throw new Error('it was sealed with the team key, which this engine was not given (the teamKeyFile setting)')
        return teamKey.decrypt(cipher, bound)
      }
      if (!machine) {
        throw new Error(
          teamStore
            ? "it was sealed by one machine's keychain, which no other engine opens: save the key again with the team key"
            : "it was sealed by the desktop app's keychain, which only the desktop app opens: run the desktop app, or give this engine a team key and save the key again",
        )
      }
      return machine.decrypt(cipher, bound)
    },
  }
}
