/**
 * What seals a profile's API key for the store (the machine's keychain, the team key) and
 * what a sealed key is bound to. Which box seals where is secrets.ts's.
 */
import type { ProviderProfile } from '../shared/providers'

export interface SecretBox {
  /** `bound` says where the key may go (keyBinding): a box may bind the sealed key to it, so that it opens for nothing else. */
  encrypt(plain: string, bound: string): Buffer
  decrypt(cipher: Buffer, bound: string): string
}

/**
 * What a kept key is bound to: its profile's name, provider and base URL. A key sealed for
 * one endpoint does not open for another, so whoever can write the shared database cannot
 * point a profile at their own server and have every engine send them its key.
 */
export function keyBinding(profile: Pick<ProviderProfile, 'name' | 'provider' | 'baseUrl'>): string {
  return JSON.stringify([profile.name, profile.provider, profile.baseUrl ?? null])
}
