/**
 * The provider profiles and their API keys as a scheduler dispatches with them: read from
 * the store, the keys decrypted (the desktop app's SecretBox) and held in memory only, read
 * again when a profile is saved or removed here or by another process.
 */
import type { ProviderProfile } from '../../shared/providers'
import type { SecretBox } from '../secrets'
import { holdProfileKeys, resolveProvider, type Resolved } from './profiles'
import type { ClaimedJob, QueueStore } from './store'

export class ProfileBook {
  private byName = new Map<string, ProviderProfile>()
  private keys = new Map<string, string>()

  constructor(
    private readonly store: Pick<QueueStore, 'listProfiles' | 'profileSecrets'>,
    private readonly secrets: SecretBox | undefined,
    private readonly onError: (error: unknown, during: string) => void,
  ) {}

  /** The profiles by name, as last read. */
  get profiles(): ReadonlyMap<string, ProviderProfile> {
    return this.byName
  }

  async reload(): Promise<void> {
    this.byName = new Map((await this.store.listProfiles()).map((profile) => [profile.name, profile]))
    const keys = new Map<string, string>()
    if (this.secrets) {
      for (const [name, secret] of await this.store.profileSecrets()) {
        try {
          keys.set(name, this.secrets.decrypt(secret))
        } catch (error) {
          this.onError(error, `decrypting the API key of profile "${name}"`)
        }
      }
    }
    this.keys = keys
    holdProfileKeys(this.byName.values(), keys.values())
  }

  /** A job's provider with its profile's settings and key (a job's own config still applies over them). */
  resolve(job: Pick<ClaimedJob, 'provider' | 'model' | 'config'>): Resolved {
    return resolveProvider(job, this.byName, this.keys)
  }
}
