/**
 * Hostile: `genops providers add --api-key-stdin` takes whatever the pipe held, trimmed, as
 * the key, so long as it is one line. Binary input (a file piped by mistake) or a megabyte on
 * one line is sealed and kept, "saved", and every job of
 * the profile then fails at the provider (a header no HTTP client sends) instead of the
 * command saying what it read is not a key.
 */
import { describe, expect, it } from 'vitest'
import { genopsAsync } from '../../support/cli'
import { teamKeyFile } from '../../support/team-key'
import { tempDir } from '../../support/temp'

const KEY = 'sk-piped-in-0123456789abcdef'

async function added(input: string): Promise<{ status: number | null; stderr: string; hasKey: boolean }> {
  const dataDir = tempDir()
  const env = { GENOPS_TEAM_KEY_FILE: teamKeyFile() }
  const add = await genopsAsync(['providers', 'add', 'piped', '--provider', 'openai', '--api-key-stdin', '--data-dir', dataDir], env, input)
  const listed = await genopsAsync(['providers', 'list', '--json', '--data-dir', dataDir])
  const profiles = JSON.parse(listed.stdout).profiles as { hasKey: boolean }[]
  return { status: add.status, stderr: add.stderr, hasKey: profiles[0]?.hasKey ?? false }
}

describe('genops providers add --api-key-stdin and what is not a key', () => {
  it('refuses binary input (control characters no HTTP header may carry), keeping nothing', { timeout: 60_000 }, async () => {
    const result = await added(`\u0000\u0001${KEY}\u0007\u001b`)
    expect(result.hasKey).toBe(false)
    expect(result.status).toBe(2)
  })

  it('refuses a megabyte on one line as a key, keeping nothing', { timeout: 60_000 }, async () => {
    const result = await added('a'.repeat(1024 * 1024))
    expect(result.hasKey).toBe(false)
    expect(result.status).toBe(2)
  })
})
