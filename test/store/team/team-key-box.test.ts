/**
 * The team key's box (src/main/team-key.ts) and which box seals a profile's key where
 * (src/main/secrets.ts): keys sealed with the team key open on every engine given the same
 * file, on no other, and only for the profile they were sealed for; a machine's keychain
 * never seals on a team store.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { profileKeyBox } from '../../../src/main/secrets'
import { isTeamSealed, teamKeyBox } from '../../../src/main/team-key'
import { testKeychain } from '../../support/keychain'
import { teamKeyFile } from '../../support/team-key'

const KEY = 'sk-team-0123456789abcdef'

describe('the team key', () => {
  it('opens on another engine given the same file, and on no engine given another', () => {
    const content = randomBytes(32).toString('base64')
    const sealed = teamKeyBox(teamKeyFile(content)).encrypt(KEY, 'openai-team')
    expect(isTeamSealed(sealed)).toBe(true)
    expect(sealed.includes(KEY)).toBe(false)
    expect(teamKeyBox(teamKeyFile(content)).decrypt(sealed, 'openai-team')).toBe(KEY)
    expect(() => teamKeyBox(teamKeyFile()).decrypt(sealed, 'openai-team')).toThrow('it was sealed with another team key than this engine has')
  })

  it('binds a key to its profile: copied onto another profile, it does not open', () => {
    const box = teamKeyBox(teamKeyFile())
    const sealed = box.encrypt(KEY, 'openai-team')
    expect(() => box.decrypt(sealed, 'look-alike')).toThrow(/sealed for another profile or base URL, or damaged/)
    const flipped = Buffer.from(sealed)
    flipped[flipped.length - 1]! ^= 1
    expect(() => box.decrypt(flipped, 'openai-team')).toThrow(/sealed for another profile or base URL, or damaged/)
  })

  it('refuses a short key, a file others can read and a relative path, naming the file and what to do', () => {
    const short = teamKeyFile('password123')
    expect(() => teamKeyBox(short)).toThrow(`the team key file ${short} holds 11 characters, fewer than 32: make a key with \`openssl rand -base64 32`)
    const open = teamKeyFile(undefined, 0o644)
    expect(() => teamKeyBox(open)).toThrow(`the team key file ${open} can be read by others (mode 644): run chmod 600 ${open}`)
    expect(() => teamKeyBox('team.key')).toThrow('the team key file team.key must be an absolute path')
  })
})

describe('which box seals a profile’s key', () => {
  it('on a team store: the team key only, and a keychain’s key is named as one no other engine opens', () => {
    const keychain = testKeychain()
    const team = teamKeyBox(teamKeyFile())
    const withBoth = profileKeyBox({ keychain, teamKey: team, teamStore: true })
    expect(isTeamSealed(withBoth.seal!(KEY, 'p'))).toBe(true)
    const keychainOnly = profileKeyBox({ keychain, teamStore: true })
    expect(keychainOnly.seal).toBeUndefined()
    expect(keychainOnly.refusal).toMatch(
      /^on a team store every engine must open a profile's key: give each engine the same team key \(the teamKeyFile setting\)/,
    )
    expect(() => withBoth.open(keychain.encrypt(KEY, 'p'), 'p')).toThrow(/sealed by one machine's keychain, which no other engine opens/)
    expect(() => keychainOnly.open(team.encrypt(KEY, 'p'), 'p')).toThrow(/sealed with the team key, which this engine was not given/)
  })

  it('on the data directory’s own file: the team key when given, else the keychain, and either opens', () => {
    const keychain = testKeychain()
    const team = teamKeyBox(teamKeyFile())
    const box = profileKeyBox({ keychain, teamKey: team, teamStore: false })
    expect(isTeamSealed(box.seal!(KEY, 'p'))).toBe(true)
    expect(box.open(keychain.encrypt(KEY, 'p'), 'p')).toBe(KEY)
    expect(box.open(team.encrypt(KEY, 'p'), 'p')).toBe(KEY)
    expect(isTeamSealed(profileKeyBox({ keychain, teamStore: false }).seal!(KEY, 'p'))).toBe(false)
    expect(profileKeyBox({ teamStore: false }).seal).toBeUndefined()
  })
})
