/**
 * The provider profiles and their API keys as a scheduler dispatches with them: read from
 * the store, the keys opened (by the keychain or the team key: secrets.ts) and held in memory
 * only, read again when a profile is saved or removed here or by another process. A profile
 * whose key this engine cannot open is named with why: its jobs are left to engines that can.
 */
import { isProviderKind, type ProviderProfile } from '../../shared/providers'
import { keyBinding } from '../secret-box'
import type { ProfileKeyBox } from '../secrets'
import { holdProfileKeys, resolveProvider, type Resolved } from './profiles'
import type { ClaimedJob, QueueStore } from './store'

export class ProfileBook {
  private byName = new Map<string, ProviderProfile>()
  private keys = new Map<string, string>()
  private cannot = new Map<string, string>()

  constructor(
    private readonly store: Pick<QueueStore, 'listProfiles' | 'profileSecrets'>,
    private readonly box: ProfileKeyBox,
    private readonly onError: (error: unknown, during: string) => void,
  ) {}

  /** The profiles by name, as last read. */
  get profiles(): ReadonlyMap<string, ProviderProfile> {
    return this.byName
  }

  async reload(): Promise<void> {
    const unusable = new Map<string, string>()
    // A row this engine cannot read (a newer GenOps's settings, a hand edit) holds its jobs: they wait for an engine that can.
    const damaged = (name: string, reason: string) =>
      unusable.set(name, `read profile ${name}'s settings (${reason}: saved by a newer GenOps, or edited by hand?)`)
    this.byName = new Map((await this.store.listProfiles(damaged)).map((profile) => [profile.name, profile]))
    const keys = new Map<string, string>()
    for (const [name, secret] of await this.store.profileSecrets()) {
      const profile = this.byName.get(name)
      if (!profile) continue
      try {
        keys.set(name, this.box.open(secret, keyBinding(profile)))
      } catch (error) {
        unusable.set(name, `open profile ${name}'s API key (${(error as Error).message})`)
      }
    }
    // Said once per profile and reason, not at every reload.
    for (const [name, cannot] of unusable) if (this.cannot.get(name) !== cannot) this.onError(new Error(`this engine cannot ${cannot}`), 'reading profiles')
    this.keys = keys
    this.cannot = unusable
    holdProfileKeys(this.byName.values(), keys.values())
  }

  /** The profiles this engine cannot use, each with what it cannot do (open its key, read its settings): it claims none of their jobs. */
  get unusable(): ReadonlyMap<string, string> {
    return this.cannot
  }

  /**
   * The profiles named by a claim's jobs that were not among those it weighed (`weighed`, the
   * map `profiles` gave when it began): saved by another process since, perhaps read meanwhile.
   */
  unread(jobs: readonly Pick<ClaimedJob, 'provider'>[], weighed: ReadonlyMap<string, ProviderProfile>): Set<string> {
    return new Set(jobs.map((job) => job.provider).filter((name) => !isProviderKind(name) && !weighed.has(name)))
  }

  /**
   * Why a claimed job on this track must go back unsent, if it must: its key does not open here,
   * or its profile was read only after the claim (`unreadAtClaim`), which then weighed none of
   * its rules (limits, key, budgets). A profile still unknown is not refused here: it fails as one.
   */
  refusal(track: string, unreadAtClaim: boolean): string | undefined {
    const cannot = this.cannot.get(track)
    if (cannot !== undefined) return `this engine cannot ${cannot}`
    if (unreadAtClaim && this.byName.has(track)) return `profile ${track} was saved after this claim`
  }

  /** A job's provider with its profile's settings and key (a job's own config still applies over them). */
  resolve(job: Pick<ClaimedJob, 'provider' | 'model' | 'config'>): Resolved {
    return resolveProvider(job, this.byName, this.keys)
  }
}
