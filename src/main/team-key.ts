/**
 * The team key: one secret every engine on a team store is given (a file, the same on each
 * machine), which seals the profiles' API keys in the shared database so that any engine
 * holding it opens them, and nothing else does: a machine's keychain opens only what that
 * machine sealed. AES-256-GCM from node:crypto, with what the key is bound to (its profile's
 * name, provider and base URL: secrets.ts keyBinding) as associated data, so a sealed key
 * copied onto another profile, or left on one now pointing elsewhere, does not open there. Written by hand because it is a few lines over node:crypto, not a format.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { readKeyFile } from '../workers/key-file'
import type { SecretBox } from './secret-box'

/** What a team-sealed key starts with: the format's name and version. */
const MAGIC = Buffer.from('GTK1')
const ID_BYTES = 8
const IV_BYTES = 12
const TAG_BYTES = 16
const HEADER_BYTES = MAGIC.length + ID_BYTES + IV_BYTES + TAG_BYTES
/** A shorter line is a password, not a key: guessable offline by anyone who reads the database. */
export const MIN_TEAM_KEY_CHARS = 32
export const MAKE_TEAM_KEY = 'openssl rand -base64 32 > team.key && chmod 600 team.key'

export function isTeamSealed(cipher: Buffer): boolean {
  return cipher.length >= HEADER_BYTES && cipher.subarray(0, MAGIC.length).equals(MAGIC)
}

export class TeamKeyError extends Error {}

/**
 * The box the team key file at `path` makes (an absolute path, readable by its owner only,
 * one line of at least 32 characters). Throws a TeamKeyError naming the file and what to do.
 */
export function teamKeyBox(path: string): SecretBox {
  const subject = `the team key file ${path}`
  let line: string
  try {
    line = readKeyFile(path, subject)
  } catch (error) {
    throw new TeamKeyError((error as Error).message)
  }
  if (line.length < MIN_TEAM_KEY_CHARS) {
    throw new TeamKeyError(`${subject} holds ${line.length} characters, fewer than ${MIN_TEAM_KEY_CHARS}: make a key with \`${MAKE_TEAM_KEY}\``)
  }
  const key = Buffer.from(hkdfSync('sha256', line, 'genops team key', 'profile api keys', 32))
  // Names the key without revealing it, so a key sealed with another team's is told apart from a damaged one.
  const id = Buffer.from(hkdfSync('sha256', line, 'genops team key', 'key id', ID_BYTES))
  return {
    encrypt(plain, bound) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', key, iv)
      cipher.setAAD(Buffer.from(bound))
      const sealed = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
      return Buffer.concat([MAGIC, id, iv, cipher.getAuthTag(), sealed])
    },
    decrypt(sealed, bound) {
      if (!isTeamSealed(sealed)) throw new TeamKeyError('it was not sealed with a team key')
      let at = MAGIC.length
      const take = (bytes: number): Buffer => sealed.subarray(at, (at += bytes))
      if (!timingSafeEqual(take(ID_BYTES), id)) throw new TeamKeyError('it was sealed with another team key than this engine has')
      const iv = take(IV_BYTES)
      const tag = take(TAG_BYTES)
      const decipher = createDecipheriv('aes-256-gcm', key, iv)
      decipher.setAAD(Buffer.from(bound))
      decipher.setAuthTag(tag)
      try {
        return Buffer.concat([decipher.update(sealed.subarray(at)), decipher.final()]).toString('utf8')
      } catch {
        throw new TeamKeyError('it does not open with the team key: it was sealed for another profile or base URL, or damaged')
      }
    },
  }
}

/** The same box, its file read when it first seals or opens a key: for a command that may never need it. */
export function lazyTeamKeyBox(path: string): SecretBox {
  let box: SecretBox | undefined
  const opened = (): SecretBox => (box ??= teamKeyBox(path))
  return { encrypt: (plain, bound) => opened().encrypt(plain, bound), decrypt: (sealed, bound) => opened().decrypt(sealed, bound) }
}
